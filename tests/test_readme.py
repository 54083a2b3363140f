"""The README stays true: its Quick start, its example campaign file, its command list."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from panel_tui.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(lang: str = "") -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


def test_quick_start_is_two_commands_demo_then_tests():
    assert README.splitlines()[2] == "## Quick start"
    commands = [line for line in _blocks()[0].splitlines() if line.strip()]
    assert len(commands) == 2
    assert commands[0].endswith("panel-tui demo")
    assert "pytest" in commands[1] and "[test]" in commands[1]


def test_ci_runs_the_readmes_test_command():
    script = ROOT / ".ci" / "run"
    # .ci/run reads the command out of the README; check it reads the right line.
    extract = re.search(r"test_cmd=\$\((.*)\)\n", script.read_text()).group(1)
    got = subprocess.run(["bash", "-c", extract], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    assert got == [line for line in _blocks()[0].splitlines() if line.strip()][1]


def test_readme_campaign_example_creates_a_campaign(database, tmp_path, capsys):
    toml = tmp_path / "campaign.toml"
    toml.write_text(_blocks("toml")[0])
    assert main(["--db-url", database.url, "campaign", "create", str(toml)]) == 0
    key = capsys.readouterr().out.strip()
    assert key == "policy-adviser"
    assert main(["--db-url", database.url, "campaign", "list"]) == 0
    assert capsys.readouterr().out == "policy-adviser\tPolicy Adviser\n"


def test_docs_campaign_example_creates_a_campaign(database, capsys):
    assert main(["--db-url", database.url, "campaign", "create", str(ROOT / "docs" / "campaign-example.toml")]) == 0
    assert capsys.readouterr().out.strip()


def test_every_documented_command_exists(capsys):
    commands_block = next(b for b in _blocks() if "panel-tui frameworks list" in b)
    documented = set(re.findall(r"^panel-tui (\w+)", commands_block, flags=re.M)) - {"demo"}
    for command in sorted(documented):
        try:
            main([command, "--help"])
        except SystemExit as exit_info:
            assert exit_info.code == 0, command
    assert documented >= {"frameworks", "campaign", "candidates", "pack", "return", "scores", "results", "purge"}
