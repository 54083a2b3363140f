"""The campaign screen: adding a panellist, and today's interviews only."""

from __future__ import annotations

from sqlmodel import Session, select

from db.models import AuditEvent, PanelMember
from tests.ui.settle import settle


async def test_add_a_panel_member_by_keys(make_demo_app, reader):
    app = make_demo_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        await pilot.press(*"Ruth Ogundipe", "enter", "down", "down", "enter")  # role: independent
        await settle(pilot)
        await pilot.press("w")  # the new member can now be chosen on this laptop
        await settle(pilot)
        assert "Ruth Ogundipe (independent)" in [str(o.prompt) for o in app.screen.query_one("#members").options]
    with Session(reader.engine) as s:
        added = s.exec(select(PanelMember).where(PanelMember.name == "Ruth Ogundipe")).one()
        audit = s.exec(select(AuditEvent).where(AuditEvent.entity == "panel")).one()
    assert added.role == "independent"
    assert audit.new_value == "Ruth Ogundipe (independent)" and audit.actor == "Sam Whitfield"


async def test_today_only_filters_the_candidates(make_demo_app):
    # The test demo's interviews are on 12 January 2026, not today.
    app = make_demo_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#candidates")
        assert table.row_count == 6
        await pilot.press("t")
        await settle(pilot)
        assert table.row_count == 0
        assert "showing today's only" in str(app.screen.query_one("#today").render())
        await pilot.press("t")
        await settle(pilot)
        assert table.row_count == 6


async def test_campaign_owner_edits_the_campaign_by_keys(make_demo_app, reader):
    from db.models import Campaign
    from panel_tui.screens.campaign_edit import CampaignEditForm

    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("E")
        await settle(pilot)
        assert isinstance(app.screen, CampaignEditForm)
        await pilot.press("home", "ctrl+k", *"HR Business Partner (re-run)", "enter")
        await pilot.press("home", "ctrl+k", *"2026-02-20")
        # A date already past is allowed (a record kept late), but said at once: retention runs from it.
        assert "2026-02-20 is in the past: retention runs from it" in str(
            app.screen.query_one("#decision-date-warning").render())
        await pilot.press("home", "ctrl+k", *"2099-02-20")
        assert not app.screen.query_one("#decision-date-warning").display
        await pilot.press("home", "ctrl+k", *"2026-02-20", "enter")
        await pilot.press("home", "ctrl+k", *"45", "enter")
        await pilot.press("enter", "end", *"-Jones", "enter", "enter")  # Sam kept, Priya renamed, Joe kept
        await pilot.press(*"Ruth Ogundipe", "enter", *"Owner's correction after the sift", "enter")
        await settle(pilot)
        assert not isinstance(app.screen, CampaignEditForm), str(app.screen.query_one("#edit-error").render())
        assert "HR Business Partner (re-run)" in str(app.screen.query_one("#campaign-summary").render())

        # Removing a member with evidence is refused in the form, with one line; nothing changes.
        await pilot.press("E")
        await settle(pilot)
        await pilot.press("enter", "enter", "enter", "home", "ctrl+k")  # clear Sam Whitfield's name
        await pilot.press("enter", "enter", "enter", "enter", "enter", *"Sam left", "enter")  # past 3 more and "add"
        await settle(pilot)
        assert isinstance(app.screen, CampaignEditForm)
        assert "part of the record" in str(app.screen.query_one("#edit-error").render())
    with Session(reader.engine) as s:
        campaign = s.exec(select(Campaign)).one()
        panel = sorted(m.name for m in s.exec(select(PanelMember)).all())
        events = s.exec(select(AuditEvent).where(AuditEvent.reason == "Owner's correction after the sift")).all()
    assert campaign.title == "HR Business Partner (re-run)" and campaign.interview_minutes == 45
    assert str(campaign.decision_date) == "2026-02-20"
    assert panel == ["Joe Lambert", "Priya Raman-Jones", "Ruth Ogundipe", "Sam Whitfield"]
    assert {e.entity for e in events} == {"campaign.title", "campaign.decision_date", "campaign.interview_minutes", "panel"}


async def test_the_campaign_footer_keeps_its_essential_keys_at_80_columns(make_demo_app):
    """Field trial (item 11): the footer never showed a/e/p/t/x; now x, w, c, o fit at 80x24, the rest follow
    as the terminal widens, and every key is listed in F1 help."""
    from textual.widgets._footer import FooterKey

    for width, wanted in (
        (80, {"Packs & returns", "Switch panellist", "Consolidate", "Outcomes"}),
        (100, {"Packs & returns", "Switch panellist", "Consolidate", "Outcomes", "Add candidate"}),
    ):
        app = make_demo_app()
        async with app.run_test(size=(width, 24)) as pilot:
            await settle(pilot)
            keys = list(app.screen.query(FooterKey))
            palette = next(k for k in keys if k.description == "palette")
            shown = {k.description for k in keys if k is not palette and k.region.right <= palette.region.x}
            assert wanted <= shown, f"{width} columns: missing {wanted - shown}"
            if width == 80:
                await pilot.press("f1")
                await pilot.pause()
                lines = str(app.screen.query_one("#help-campaign").render()).splitlines()
                for key, words in (("a", "Add candidate"), ("e", "Edit candidate"), ("p", "Add panellist"),
                                   ("t", "Today only"), ("x", "Packs & returns"), ("E", "Edit campaign")):
                    assert any(line.startswith(f"{key} ") and words in line for line in lines), (key, words)


async def test_candidate_table_is_measured_when_filled_behind_the_who_are_you_picker(tmp_path, template_db_file):
    """Field trial (item 12): after choosing who you are, the table showed `09:3  HRP  Oliv` until the next
    navigation. Its columns are as wide as their widest cell as soon as the rows arrive."""
    from db.campaigns import create_campaign
    from db.engine import open_database, sqlite_url
    from panel_tui.app import make_app
    from tests.test_exchange import KEY, SPEC

    path = tmp_path / "fresh.db"
    path.write_bytes(template_db_file.read_bytes())
    db = open_database(sqlite_url(path))
    with db.session() as s:
        create_campaign(s, SPEC)
    app = make_app(db, open_campaign=KEY)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert type(app.screen).__name__ == "MemberPicker"  # nobody chosen on this laptop yet
        await pilot.press("enter")
        await settle(pilot)
        table = app.screen.query_one("#candidates")
        assert table.row_count == 4
        for column in table.ordered_columns:
            widest = max(len(str(c)) for c in [*table.get_column(column.key), column.label])
            assert not column.auto_width and column.width >= widest, (str(column.label), column.width, widest)
        assert "Person 1" in [str(c) for c in table.get_column_at(2)]
    db.dispose()
