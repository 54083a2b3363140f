"""The chair's outcomes screen, driven by keys, checked against the database and the exported files.

Setup: the demo campaign with the panel's consensus recorded for HRBP-001 and HRBP-002 (everyone has
submitted both), so those two are final; the other four are not yet fully scored.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest
from sqlmodel import Session, create_engine, select
from textual.widgets import DataTable, TextArea

from db.consolidation import record_consensus
from db.engine import open_database, sqlite_url
from db.models import AuditEvent, Campaign, CampaignItem, Candidate, Outcome
from db.outcomes import merit_list
from panel_tui.dialogs import ConfirmDialog, ReasonDialog
from panel_tui.screens.feedback_editor import FeedbackEditor
from panel_tui.screens.outcomes import ExtendReserveDialog, OutcomesScreen
from tests.ui.settle import settle, steady

# Consensus by item (Leading and Communicating is the lead item): HRBP-001 totals 29, HRBP-002 26.
CONSENSUS = {"HRBP-001": [5, 5, 4, 5, 5, 5], "HRBP-002": [4, 5, 4, 4, 5, 4]}
# The same total and lead score for both: a tie the chair must order.
TIED = {"HRBP-001": [5, 5, 4, 5, 5, 5], "HRBP-002": [5, 5, 4, 5, 5, 5]}
# Demo decision date is 14 days after the demo day (12 Jan 2026): the reserve list runs 12 months from it.
RESERVE_UNTIL = date(2027, 1, 26)


def record(db_file, scores: dict[str, list[int]]) -> None:
    db = open_database(sqlite_url(db_file))
    with db.session() as session:
        items = session.exec(select(CampaignItem).order_by(CampaignItem.campaign_id, CampaignItem.position)).all()
        for ref, values in scores.items():
            candidate = session.exec(select(Candidate).where(Candidate.ref == ref)).one()
            mine = [i for i in items if i.campaign_id == candidate.campaign_id]
            for item, value in zip(mine, values):
                record_consensus(session, candidate.id, item.id, value, f"Agreed from the evidence for {item.name}", "Sam Whitfield")
    db.dispose()


@pytest.fixture
def final(demo_db_file):
    record(demo_db_file, CONSENSUS)
    return demo_db_file


@pytest.fixture
def tied(demo_db_file):
    record(demo_db_file, TIED)
    return demo_db_file


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.chdir(out)  # the file picker starts here
    return out


@contextmanager
def session_on(db_file) -> Iterator[Session]:
    """Read what is on disk through a separate engine, as another process would."""
    engine = create_engine(sqlite_url(db_file))
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def merit(db_file):
    with session_on(db_file) as s:
        campaign_id = s.exec(select(Candidate.campaign_id).where(Candidate.ref == "HRBP-001")).one()
        return merit_list(s, campaign_id)


def outcome(db_file, ref: str) -> Outcome | None:
    with session_on(db_file) as s:
        return s.exec(select(Outcome).join(Candidate, Candidate.id == Outcome.candidate_id).where(Candidate.ref == ref)).first()


def audit(db_file, action: str) -> list[AuditEvent]:
    with session_on(db_file) as s:
        return list(s.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all())


def table_rows(app) -> list[list[str]]:
    table = app.screen.query_one("#merit-table", DataTable)
    return [[str(getattr(c, "plain", c)) for c in table.get_row_at(n)] for n in range(table.row_count)]


def column(app, key: str) -> list[str]:
    table = app.screen.query_one("#merit-table", DataTable)
    keys = [c.key.value for c in table.ordered_columns]
    n = keys.index(key)
    return [row[n] for row in table_rows(app)]


def said(widget) -> str:
    """A label's text with its line wrapping undone."""
    return " ".join(str(widget.render()).split())


def notifications(app) -> list[str]:
    return [n.message for n in app._notifications]


async def open_outcomes(pilot) -> None:
    await settle(pilot)
    await pilot.press("o")
    await settle(pilot)
    assert isinstance(pilot.app.screen, OutcomesScreen)


async def wait_for_file(pilot, path, tries: int = 50) -> None:
    for _ in range(tries):
        await pilot.pause(0.1)
        if path.exists() and path.stat().st_size:
            return
    raise AssertionError(f"{path} was never written; notifications: {notifications(pilot.app)}")


# --- the merit list ----------------------------------------------------------------


async def test_ranks_and_totals_on_screen_match_the_merit_list(make_demo_app, final):
    expected = merit(final)
    app = make_demo_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await open_outcomes(pilot)
        assert column(app, "ref") == [r.ref for r in expected.rows]
        assert column(app, "rank") == [str(r.rank) if r.rank is not None else "–" for r in expected.rows]
        # Sam has submitted only HRBP-001 and HRBP-002: the other rows keep the panel's figures hidden.
        assert column(app, "total") == [f"{r.total:g}" for r in expected.rows[:2]] + [""] * 4
        assert column(app, "rank")[:2] == ["1", "2"] and column(app, "total")[:2] == ["29", "26"]
        assert column(app, "result") == ["pass", "pass"] + ["hidden until you submit yours"] * 4
        assert column(app, "status") == ["pending"] * 6
        assert column(app, "item0")[:2] == ["5", "4"]  # the lead item's agreed scores, as scale labels
        assert column(app, "provisional") == [""] * 6
        summary = str(app.screen.query_one("#outcomes-summary").render())
        assert "next offer: HRBP-001" in summary


async def test_appoint_the_top_candidate(make_demo_app, final):
    app = make_demo_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await open_outcomes(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert type(app.screen).__name__ == "ConfirmDialog"  # in merit order: a confirmation, no reason
        await pilot.press("y")
        await settle(pilot)
        assert column(app, "status")[0] == "appointed"
        assert "next offer: HRBP-002" in str(app.screen.query_one("#outcomes-summary").render())
    saved = outcome(final, "HRBP-001")
    assert saved.status == "appointed" and saved.offer_reason == ""
    assert [e.actor for e in audit(final, "appoint")] == ["Sam Whitfield"]


async def test_appoint_out_of_merit_order_asks_a_reason_and_records_it(make_demo_app, final):
    reason = "HRBP-001 withdrew by phone before the offer"
    app = make_demo_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await open_outcomes(pilot)
        await pilot.press("down", "a")
        await settle(pilot)
        assert isinstance(app.screen, ReasonDialog)
        assert "HRBP-001 is ranked higher" in said(app.screen.query_one(".dialog-title"))
        await pilot.press("enter")  # an empty reason is refused
        await settle(pilot)
        assert isinstance(app.screen, ReasonDialog)
        await pilot.press(*reason, "enter")
        await settle(pilot)
        assert isinstance(app.screen, OutcomesScreen)
        assert column(app, "status")[:2] == ["pending", "appointed"]
        assert reason in str(app.screen.query_one("#candidate-detail").render())
    assert outcome(final, "HRBP-002").offer_reason == reason
    assert outcome(final, "HRBP-001") is None  # passed over, nothing else changed
    (event,) = audit(final, "appoint")
    assert event.reason == reason and event.new_value == "appointed"


async def test_reserve_list_with_expiry_then_extend(make_demo_app, final):
    app = make_demo_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await open_outcomes(pilot)
        await pilot.press("a", "y")
        await settle(pilot)
        await pilot.press("down", "r")
        await settle(pilot)
        assert column(app, "status")[:2] == ["appointed", f"reserve to {RESERVE_UNTIL.isoformat()}"]
        assert outcome(final, "HRBP-002").reserve_expiry == RESERVE_UNTIL

        # An extension that ends no later than now is refused with one line; nothing changes.
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ExtendReserveDialog)
        await pilot.press("shift+tab", "end", "backspace", "backspace", *"12", "enter", *"Two posts expected", "enter")
        await settle(pilot)
        assert any("must end after the current expiry" in m for m in notifications(app))
        assert not outcome(final, "HRBP-002").reserve_extended

        await pilot.press("x")
        await settle(pilot)
        await pilot.press(*"Two further posts expected next year", "enter")  # 24 months is the default
        await settle(pilot)
        assert column(app, "status")[1] == "reserve to 2028-01-26 (ext.)"
    saved = outcome(final, "HRBP-002")
    assert saved.status == "reserve" and saved.reserve_expiry == date(2028, 1, 26) and saved.reserve_extended
    assert saved.reserve_reason == "Two further posts expected next year"
    assert [e.new_value for e in audit(final, "reserve")] == [f"reserve until {RESERVE_UNTIL.isoformat()}"]


async def test_not_appointed_and_keys_offered_only_where_they_apply(make_demo_app, final):
    app = make_demo_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await open_outcomes(pilot)
        screen = app.screen
        assert screen._refusal("appoint", screen._highlighted_row()) is None
        assert screen._refusal("extend_reserve", screen._highlighted_row()) == "only a reserve place can be extended"
        titles = [title for title, _, _ in screen.palette_commands()]
        assert "Appoint HRBP-001" in titles and "Export merit list (CSV)" in titles
        assert not any(t.startswith("Extend") for t in titles)
        await pilot.press("down", "down")  # HRBP-003: not fully scored
        await settle(pilot)
        titles = [title for title, _, _ in screen.palette_commands()]
        assert not any(t.startswith(("Appoint", "Reserve list")) for t in titles)
        await pilot.press("a")  # refused with one line, never silently
        await settle(pilot)
        assert app.screen is screen
        assert any("HRBP-003: the result is not final" in m for m in notifications(app))
        await pilot.press("up", "n")
        await settle(pilot)
        assert column(app, "status")[1] == "not appointed"
    assert outcome(final, "HRBP-002").status == "not_appointed"


async def test_chair_orders_a_tie_with_a_reason(make_demo_app, tied):
    reason = "Stronger evidence on the lead behaviour's people-leadership indicators"
    app = make_demo_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await open_outcomes(pilot)
        assert column(app, "rank")[:2] == ["1=", "1="]
        assert column(app, "tie")[:2] == ["tie: chair to order"] * 2
        await pilot.press("down", "u")  # HRBP-002 up, on screen only
        await settle(pilot)
        assert column(app, "ref")[:2] == ["HRBP-002", "HRBP-001"]
        assert column(app, "tie")[:2] == ["order not recorded (t)"] * 2
        assert all(o is None for o in (outcome(tied, "HRBP-001"), outcome(tied, "HRBP-002")))
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, ReasonDialog)
        assert "HRBP-002, HRBP-001" in said(app.screen.query_one(".dialog-title"))
        await pilot.press(*reason, "enter")
        await settle(pilot)
        assert column(app, "ref")[:2] == ["HRBP-002", "HRBP-001"]
        assert column(app, "rank")[:2] == ["1", "2"]
        assert column(app, "tie")[:2] == [reason, reason]
    ranks = {r.ref: r.rank for r in merit(tied).ranked}
    assert ranks == {"HRBP-002": 1, "HRBP-001": 2}
    assert outcome(tied, "HRBP-002").tie_reason == reason
    assert [e.reason for e in audit(tied, "tie order")] == [reason, reason]


# --- reports ---------------------------------------------------------------------------


async def test_export_the_merit_list_as_csv(make_demo_app, final, workdir):
    app = make_demo_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await open_outcomes(pilot)
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("enter")  # the suggested name in the working folder
        target = workdir / "demo-hr-business-partner-merit-list.csv"
        await wait_for_file(pilot, target)
        await pilot.pause(0.2)
        assert any(str(target) in m for m in notifications(app))
    lines = target.read_text().splitlines()
    assert lines[0].startswith("rank,candidate_ref,name,total,Leading and Communicating,")
    assert lines[1] == "1,HRBP-001,Amira Okafor,29,5,5,4,5,5,5,yes,no,pending,,"
    assert lines[2] == "2,HRBP-002,Ben Castell,26,4,5,4,4,5,4,yes,no,pending,,"
    assert len(lines) == 8 and lines[-1] == "OFFICIAL-SENSITIVE"
    assert (target.stat().st_mode & 0o777) == 0o600


async def test_export_the_merit_list_as_excel(make_demo_app, final, workdir):
    from openpyxl import load_workbook

    app = make_demo_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await open_outcomes(pilot)
        await pilot.press("X")
        await settle(pilot)
        await pilot.press("enter")  # the suggested .xlsx name in the working folder
        target = workdir / "demo-hr-business-partner-merit-list.xlsx"
        await wait_for_file(pilot, target)
        await pilot.pause(0.2)
    wb = load_workbook(target)
    assert wb.sheetnames == ["Marking", "Merit list"] and wb["Marking"]["A1"].value == "OFFICIAL-SENSITIVE"
    rows = [[c.value for c in row] for row in wb["Merit list"].iter_rows()]
    assert rows[1][:4] == [1, "HRBP-001", "Amira Okafor", 29] and len(rows) == 7
    assert (target.stat().st_mode & 0o777) == 0o600


async def test_export_the_assessment_record(make_demo_app, final, workdir):
    app = make_demo_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await open_outcomes(pilot)
        await pilot.press("m")
        await settle(pilot)
        await pilot.press("enter")
        markdown = workdir / "HRBP-001-assessment-record.md"
        await wait_for_file(pilot, markdown)
        await pilot.press("p")
        await settle(pilot)
        await pilot.press("enter")
        pdf = workdir / "HRBP-001-assessment-record.pdf"
        await wait_for_file(pilot, pdf)
    text = markdown.read_text()
    assert text.startswith("**OFFICIAL-SENSITIVE**\n\n# Assessment record: Amira Okafor (HRBP-001)")
    assert "**Consensus:** 5 - Agreed from the evidence for Leading and Communicating" in text
    assert "- **Merit list rank:** 1" in text
    assert pdf.read_bytes().startswith(b"%PDF")


async def test_feedback_edited_saved_and_exported(make_demo_app, final, workdir):
    app = make_demo_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await open_outcomes(pilot)
        await pilot.press("f")
        await settle(pilot)
        assert isinstance(app.screen, FeedbackEditor)
        editor = app.screen.query_one("#feedback-text", TextArea)
        assert editor.text.startswith("Dear Amira Okafor,")
        await pilot.press("enter", *"Please call me if you would like to talk it through.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        saved = outcome(final, "HRBP-001").feedback
        assert saved.startswith("Dear Amira Okafor,")
        assert saved.endswith("Please call me if you would like to talk it through.\n")
        assert len(audit(final, "feedback")) == 1

        await pilot.press("ctrl+o")
        await settle(pilot)
        await pilot.press("enter")
        exported = workdir / "HRBP-001-feedback.txt"
        await wait_for_file(pilot, exported)
        assert exported.read_text() == f"OFFICIAL-SENSITIVE\n\n{saved.strip()}\n\nOFFICIAL-SENSITIVE\n"

        # Unsaved changes are not lost silently on closing.
        await pilot.press(*" Thanks.")
        await pilot.press("escape")
        await settle(pilot)
        assert type(app.screen).__name__ == "ConfirmDialog"
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, OutcomesScreen)
    assert outcome(final, "HRBP-001").feedback == saved

    # Reopened: the saved text, not a fresh draft.
    app = make_demo_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await open_outcomes(pilot)
        await pilot.press("f")
        await settle(pilot)
        assert app.screen.query_one("#feedback-text", TextArea).text == saved


# --- the other tabs ----------------------------------------------------------------------


async def test_distribution_and_panel_agreement_tabs(make_demo_app, final):
    from panel_tui.widgets.score_chart import ScoreChart

    app = make_demo_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await open_outcomes(pilot)
        await pilot.press("2")
        await settle(pilot)
        charts = list(app.screen.query(ScoreChart))
        assert len(charts) == 6
        lead = charts[0]
        assert lead.chart_title.startswith("Leading and Communicating")
        assert {label: n for _, label, n in lead.counts if n} == {"4": 1, "5": 2}  # 5, 4 agreed; HRBP-003 provisional 5
        assert "1 provisional" in lead.note
        assert not app.screen.check_action("appoint", ())  # candidate keys belong to the merit list
        await pilot.press("3")
        await settle(pilot)
        members = app.screen.query_one("#member-leniency", DataTable)
        rows = {str(members.get_row_at(n)[0]): [str(getattr(c, "plain", c)) for c in members.get_row_at(n)]
                for n in range(members.row_count)}
        # Joe Lambert against the agreed scores: HRBP-001 +1, −1; HRBP-002 −2, −1; over 12 scores.
        assert rows["Joe Lambert"][1:4] == ["−0.25", "severe", "12"]
        assert set(rows) == {"Sam Whitfield", "Priya Raman", "Joe Lambert"}
        await pilot.press("1")
        await settle(pilot)
        assert app.screen.check_action("appoint", ())


def _every_cell_fits(app) -> None:
    """Each column is as wide as its widest cell at once (not after the table's idle-time re-measuring)."""
    from rich.text import Text

    table = app.screen.query_one("#merit-table", DataTable)
    for column in table.ordered_columns:
        cells = table.get_column(column.key)
        widest = max(Text(c).cell_len if isinstance(c, str) else c.cell_len for c in [*cells, column.label])
        assert not column.auto_width and column.width >= widest, (column.key.value, column.width, widest)
    assert table.columns["status"].width >= len("not appointed")  # the longest status label, whatever is shown


async def test_status_column_fits_every_label_without_waiting(make_demo_app, final):
    app = make_demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_outcomes(pilot)
        _every_cell_fits(app)
        await pilot.press("a", "y")
        await settle(pilot)
        assert column(app, "status")[0] == "appointed"
        _every_cell_fits(app)
        await pilot.press("down", "r")  # a reserve place: a longer status, the table re-measured
        await settle(pilot)
        if type(app.screen).__name__ != "OutcomesScreen":
            await pilot.press("y")
            await settle(pilot)
        assert column(app, "status")[1].startswith("reserve to ")
        _every_cell_fits(app)


# --- snapshot --------------------------------------------------------------------------------


def test_outcomes_snapshot_100x30(snap_compare, make_demo_app, final):
    async def open_it(pilot):
        await settle(pilot)  # the campaign screen knows who is using the app
        await pilot.press("o")
        await settle(pilot)
        await pilot.press("a", "y")  # HRBP-001 appointed
        await settle(pilot)
        pilot.app.clear_notifications()  # the toast would time out mid-snapshot
        await steady(pilot)

    assert snap_compare(make_demo_app(), run_before=open_it, terminal_size=(100, 30))


async def test_results_stay_hidden_until_the_viewer_submits(make_demo_app):
    """Independence: Sam has not submitted HRBP-003, so its row shows nothing built from others' scores."""
    app = make_demo_app()
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        table = app.screen.query_one("#merit-table")
        rows = {str(table.get_row_at(i)[1]): [str(c) for c in table.get_row_at(i)] for i in range(table.row_count)}
        assert "hidden until you submit yours" in rows["HRBP-003"]
        assert "5" not in " ".join(rows["HRBP-003"][3:]) and "6" not in " ".join(rows["HRBP-003"][3:])
        assert "hidden until you submit yours" not in rows["HRBP-001"]


async def test_past_decision_date_reserve_warns_then_extends(make_demo_app, final):
    """Field trial: a decision date long past made reserve places already expired, and x / a did nothing."""
    with session_on(final) as s:
        for campaign in s.exec(select(Campaign)).all():
            campaign.decision_date = date(2025, 7, 14)
            s.add(campaign)
        s.commit()
    app = make_demo_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await open_outcomes(pilot)
        await pilot.press("down", "r")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)  # warned before making an expired place
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, OutcomesScreen)
        assert outcome(final, "HRBP-002") is None or outcome(final, "HRBP-002").status != "reserve"
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert outcome(final, "HRBP-002").reserve_expiry == date(2026, 7, 14)
        await pilot.press("a")  # expired: refused, with words
        await settle(pilot)
        assert any("HRBP-002: the reserve place has expired" in m for m in notifications(app))
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ExtendReserveDialog)
        await pilot.press(*"Posts confirmed late", "enter")  # 24 months from the decision date
        await settle(pilot)
        assert column(app, "status")[1] == "reserve to 2027-07-14 (ext.)"
        await pilot.press("x")  # already extended: refused, with words
        await settle(pilot)
        assert any("already been extended once" in m for m in notifications(app))
    saved = outcome(final, "HRBP-002")
    assert saved.reserve_expiry == date(2027, 7, 14) and saved.reserve_extended
