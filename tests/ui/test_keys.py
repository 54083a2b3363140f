"""Keys are data: the help screen is built from the bindings, and keymap.toml moves them."""

from __future__ import annotations

from textual.binding import Binding

from panel_tui.keymap import read_keymap, sections
from panel_tui.screens.help import HelpScreen
from tests.ui.settle import settle


def help_section(app, key: str) -> str:
    return str(app.screen.query_one(f"#help-{key}").render())


def notifications(app) -> list[str]:
    return [n.message for n in app._notifications]


def test_every_binding_of_ours_has_an_id_and_ids_are_unique():
    ids = []
    for section in sections():
        if section.key == "setup":
            continue  # owned elsewhere; listed in the help all the same
        for binding in section.bindings:
            assert binding.id, f"{section.title}: {binding.key} -> {binding.action} has no id"
            ids.append(binding.id)
    assert len(ids) == len(set(ids))
    assert "outcomes.appoint" in ids and "campaign.today_only" in ids and "app.help" in ids


def test_keymap_file_tables_lists_and_problems(config_dir):
    (config_dir / "keymap.toml").write_text(
        '"campaign.today_only" = "ctrl+y"\n'
        '"outcomes.feedback" = ["f", "ctrl+e"]\n'
        '"no.such.binding" = "k"\n'
        '"outcomes.appoint" = "ctrl+nonsense"\n'
        '"outcomes.reserve" = "hyperdrive+r"\n'
        "[consolidation]\nnext_divergent = \"j\"\n"
    )
    keymap, warnings = read_keymap()
    assert keymap == {"campaign.today_only": "ctrl+y", "outcomes.feedback": "f,ctrl+e", "consolidation.next_divergent": "j"}
    assert warnings == [
        "keymap: no.such.binding ignored: no such binding (see the help screen, F1)",
        "keymap: outcomes.appoint ignored: 'ctrl+nonsense' is not a key",
        "keymap: outcomes.reserve ignored: 'hyperdrive+r' has an unknown modifier 'hyperdrive'",
    ]


def test_a_broken_keymap_file_is_one_warning(config_dir):
    (config_dir / "keymap.toml").write_text('"campaign.today_only" = \n')
    keymap, warnings = read_keymap()
    assert keymap == {} and len(warnings) == 1 and warnings[0].startswith("keymap ")


async def test_remapped_key_works_old_key_does_not_and_help_shows_it(make_demo_app, config_dir):
    (config_dir / "keymap.toml").write_text('"campaign.today_only" = "ctrl+y"\n"bogus.id" = "x"\n')
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#candidates")
        assert table.row_count == 6
        await pilot.press("t")  # the old key does nothing now
        await settle(pilot)
        assert table.row_count == 6 and app.screen.today_only is False
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert app.screen.today_only is True and table.row_count == 0
        # The unknown id: one warning line, and the app carries on.
        assert any("bogus.id ignored: no such binding" in m for m in notifications(app))

        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        campaign = help_section(app, "campaign")
        assert "^y  " in campaign and "Today only" in campaign
        assert not any(line.startswith("t ") for line in campaign.splitlines())
        # It opens at this screen's section.
        assert app.screen.query_one("#help-title-campaign").has_class("-current")
        assert app.screen.query_one("#help").scroll_y > 0
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_help_lists_each_screens_own_keys(make_demo_app):
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert app.screen.current_section() == "outcomes"
        everywhere = help_section(app, "app")
        assert "Frameworks" not in everywhere and "F1" in everywhere.replace("f1", "F1")
        outcomes = help_section(app, "outcomes").splitlines()
        assert any(line.startswith("f ") and "Feedback" in line for line in outcomes)
        assert any(line.startswith("a ") and "Appoint" in line for line in outcomes)


def test_help_key_text_follows_the_keymap():
    from panel_tui.screens.help import key_text

    class FakeApp:
        @staticmethod
        def get_key_display(binding: Binding) -> str:
            return binding.key.upper()

    binding = Binding("q,escape", "back", "Back", id="x.back")
    assert key_text(FakeApp, binding, {}) == "Q / ESCAPE"
    assert key_text(FakeApp, binding, {"x.back": "b,f9"}) == "B / F9"
