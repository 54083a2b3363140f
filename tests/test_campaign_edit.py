"""Editing a campaign after creation: each change checked by the spec's parts, audited with old, new and reason."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from db.campaign_edit import CampaignEdit, edit_campaign
from db.campaigns import add_panel_member, get_campaign, panel_members
from db.demo import DEMO_KEY
from db.errors import ValidationError
from db.models import AuditEvent
from panel_tui.cli import main


def names(session, campaign_id):
    return sorted(m.name for m in panel_members(session, campaign_id))


def test_edit_title_date_minutes_and_panel_audited(session, demo):
    campaign = get_campaign(session, DEMO_KEY)
    before = names(session, campaign.id)
    add_panel_member(session, campaign.id, "Late Reserve", "member", actor="Chair")
    result = edit_campaign(session, DEMO_KEY, CampaignEdit(
        title="HR Business Partner (re-advertised)", decision_date="2026-03-01", interview_minutes="45",
        rename=((before[0], "Renamed Person"),), remove=("late reserve",), add=(("New Independent", "independent"),),
        reason="Panel changed after sift",
    ), actor="Owner", today=date(2026, 1, 1))
    session.expire_all()
    campaign = get_campaign(session, DEMO_KEY)
    assert campaign.title == "HR Business Partner (re-advertised)"
    assert campaign.decision_date == date(2026, 3, 1) and campaign.interview_minutes == 45
    assert names(session, campaign.id) == sorted([*before[1:], "Renamed Person", "New Independent"])
    events = session.exec(select(AuditEvent).where(AuditEvent.reason == "Panel changed after sift")).all()
    got = {(e.action, e.entity, e.old_value, e.new_value) for e in events}
    assert ("edit", "campaign.interview_minutes", "60", "45") in got
    assert ("rename", "panel", before[0], "Renamed Person") in got
    assert ("remove", "panel", "Late Reserve (member)", "") in got
    assert ("add", "panel", "", "New Independent (independent)") in got
    assert len(result.changes) == 6 and all(e.actor == "Owner" for e in events)


@pytest.mark.parametrize("edit, words", [
    (CampaignEdit(title="New", reason=""), "needs a reason"),
    (CampaignEdit(title="", reason="r"), "campaign needs a title"),
    (CampaignEdit(decision_date="1 March", reason="r"), "decision_date"),
    (CampaignEdit(interview_minutes=0, reason="r"), "interview_minutes"),
    (CampaignEdit(rename=(("Nobody", "X"),), reason="r"), "'Nobody' is not on the panel"),
    (CampaignEdit(add=(("Someone", "boss"),), reason="r"), "role"),
])
def test_bad_input_is_one_line_and_nothing_changes(session, demo, edit, words):
    campaign = get_campaign(session, DEMO_KEY)
    title, count = campaign.title, len(session.exec(select(AuditEvent)).all())
    with pytest.raises(ValidationError, match=words):
        edit_campaign(session, DEMO_KEY, edit, actor="Owner")
    session.rollback()
    assert get_campaign(session, DEMO_KEY).title == title
    assert len(session.exec(select(AuditEvent)).all()) == count


def test_member_with_evidence_cannot_be_removed(session, demo):
    campaign = get_campaign(session, DEMO_KEY)
    member = names(session, campaign.id)
    refused = []
    for name in member:
        try:
            edit_campaign(session, DEMO_KEY, CampaignEdit(remove=(name,), reason="left"), actor="Owner")
        except ValidationError as exc:
            refused.append(str(exc))
            session.rollback()
    assert refused and all("which are part of the record" in r for r in refused)


def test_rename_to_an_existing_name_is_refused(session, demo):
    campaign = get_campaign(session, DEMO_KEY)
    a, b = names(session, campaign.id)[:2]
    with pytest.raises(ValidationError, match="listed twice"):
        edit_campaign(session, DEMO_KEY, CampaignEdit(rename=((a, b),), reason="typo"), actor="Owner")


def test_cli_campaign_edit(database, session, demo, capsys):
    campaign = get_campaign(session, DEMO_KEY)
    first = names(session, campaign.id)[0]
    args = ["--db-url", database.url, "campaign", "edit", DEMO_KEY, "--title", "Renamed campaign", "--minutes", "50",
            "--rename-member", first, "Dr " + first, "--add-member", "Extra Member", "--reason", "Owner's correction"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "campaign.title" in out and "Dr " + first in out
    session.expire_all()
    assert get_campaign(session, DEMO_KEY).interview_minutes == 50
    assert main(["--db-url", database.url, "campaign", "edit", DEMO_KEY, "--title", "x"]) == 1
    assert "needs a reason" in capsys.readouterr().err
    assert main(["--db-url", database.url, "campaign", "edit", DEMO_KEY, "--remove-member", "Dr " + first,
                 "--reason", "left"]) == 1
    assert "part of the record" in capsys.readouterr().err


def test_an_edit_based_on_a_stale_campaign_is_refused(session, demo):
    from db.versions import StaleData

    campaign = get_campaign(session, DEMO_KEY)
    seen = campaign.version
    edit_campaign(session, DEMO_KEY, CampaignEdit(title="HR Business Partner (Leeds)", reason="office named",
                                                  expected_version=seen), actor="Owner A")
    with pytest.raises(StaleData, match="changed by Owner A"):
        edit_campaign(session, DEMO_KEY, CampaignEdit(title="HR Business Partner (York)", reason="wrong office",
                                                      expected_version=seen), actor="Owner B")
    session.expire_all()
    assert get_campaign(session, DEMO_KEY).title == "HR Business Partner (Leeds)"
