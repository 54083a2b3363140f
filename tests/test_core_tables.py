"""db.core_tables names real columns: the start-up reads through it see what the models store."""

from sqlmodel import SQLModel

import db.models as models
from db import core_tables
from db.campaign_view import candidate_rows, list_campaigns, load_first
from db.demo import ensure_demo
from db.engine import has_bundled


def test_every_core_column_is_a_model_column_of_the_same_type():
    models.load_all()
    for light in core_tables.ALL:
        real = SQLModel.metadata.tables[light.name]
        for col in light.columns:
            assert col.name in real.c, f"{light.name}.{col.name} is not a column of the model"
            assert col.type._type_affinity is real.c[col.name].type._type_affinity, f"{light.name}.{col.name}"


def test_the_reads_are_the_same_through_a_session_or_a_plain_connection(database):
    with database.session() as session:
        campaign_id = ensure_demo(session).id
    with database.session() as session:
        via_session = (load_first(session, campaign_id), list_campaigns(session))
        others = candidate_rows(session, campaign_id, 10**6)  # no such member: nothing started
    with database.engine.connect() as conn:
        via_connection = (load_first(conn, campaign_id), list_campaigns(conn))
    assert via_session == via_connection
    (view, rows), campaigns = via_connection
    assert view.campaign.title == "HR Business Partner" and view.member is not None
    assert {r.state for r in rows} >= {"submitted", "not started"}  # the demo's panellist has submitted some
    assert {r.state for r in others} == {"not started"} and [r.id for r in others] == [r.id for r in rows]
    assert campaigns[0].key == view.campaign.key and campaigns[0].candidates == len(rows)


def test_opening_checks_the_bundled_frameworks_with_one_core_query(database):
    assert has_bundled(database.engine)
    with database.engine.begin() as conn:
        conn.execute(core_tables.framework.update().values(key="renamed").where(
            core_tables.framework.c.key == core_tables.BUNDLED_KEYS[0]))
    assert not has_bundled(database.engine)
