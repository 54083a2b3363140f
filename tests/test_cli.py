"""The scriptable CLI: frameworks, version, help, and one-line errors."""

from __future__ import annotations

import json

import pytest

from panel_tui import __version__
from panel_tui.cli import main
from tests.conftest import PG_URL


@pytest.fixture
def db_args(database):
    return ["--db-url", database.url]


def test_frameworks_list(db_args, capsys):
    assert main([*db_args, "frameworks", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "competencies-2012\tCivil Service Competency Framework\t10",
        "success-profiles-behaviours\tSuccess Profiles: Civil Service Behaviours\t9",
    ]


def test_frameworks_export_competencies_shape(db_args, capsys):
    assert main([*db_args, "frameworks", "export", "competencies-2012", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"name", "kind", "levels", "elements"}
    assert data["kind"] == "competencies"
    assert list(data["levels"]) == ["1", "2", "3", "4", "5", "6"]
    assert len(data["elements"]) == 10
    first = data["elements"][0]
    assert set(first) == {"name", "cluster", "definition", "levels"}
    assert (first["name"], first["cluster"]) == ("Seeing the Big Picture", "Setting Direction")
    assert set(first["levels"]["4"]) == {"effective", "ineffective"}
    # The export is the bundled file, indicator for indicator.
    from db.frameworks import read_data

    bundled = read_data("competencies-2012.json")
    assert [e["levels"] for e in data["elements"]] == [e["levels"] for e in bundled["elements"]]


def test_frameworks_export_behaviours_shape(db_args, capsys):
    assert main([*db_args, "frameworks", "export", "success-profiles-behaviours", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["kind"] == "behaviours"
    assert len(data["elements"]) == 9
    assert all(e["cluster"] is None for e in data["elements"])
    assert set(data["elements"][3]["levels"]["2"]) == {"examples"}


def test_unknown_framework_is_one_line(db_args, capsys):
    assert main([*db_args, "frameworks", "export", "nope"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "unknown framework 'nope'" in err and "competencies-2012" in err


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"panel-tui {__version__}"


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("demo", "frameworks", "campaign", "candidates", "pack", "return", "scores", "results", "purge"):
        assert f"    {command}" in out, command


@pytest.mark.skipif(bool(PG_URL), reason="SQLite file behaviour")
def test_wrong_database_file_is_one_line(tmp_path, capsys):
    path = tmp_path / "cv.docx"
    path.write_bytes(b"PK\x03\x04 not sqlite")
    assert main(["--db", str(path), "frameworks", "list"]) == 1
    err = capsys.readouterr().err
    assert err == f"panel-tui: {path} is not a panel-tui database (not an SQLite file)\n"
    assert path.read_bytes() == b"PK\x03\x04 not sqlite"


def test_the_command_table_names_what_each_module_registers():
    """The CLI imports only the module of the command given: its table must match the modules."""
    import argparse
    import importlib

    from panel_tui.cli import build_parser, command_in
    from panel_tui.commands import COMMAND_MODULES, COMMANDS

    for module_name in COMMAND_MODULES:
        sub = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(f"panel_tui.commands.{module_name}").register(sub)
        assert {c for c, m in COMMANDS.items() if m == module_name} == set(sub.choices), module_name
    assert command_in(["--db", "x.db", "--db-url=sqlite://", "campaign", "list"]) == "campaign"
    assert command_in(["--db", "demo"]) is None
    assert command_in(["--db-passphrase-file", "rekey", "rekey"]) == "rekey"  # the option takes a value
    only_exchange = build_parser("pack")  # registers pack and return, nothing else
    assert only_exchange.parse_args(["return", "import", "a.json"]).handler.__module__ == "panel_tui.commands.exchange"
    with pytest.raises(SystemExit):
        only_exchange.parse_args(["campaign", "list"])


def test_an_unknown_command_lists_every_command(capsys):
    with pytest.raises(SystemExit):
        main(["campain", "list"])
    err = capsys.readouterr().err
    assert "invalid choice: 'campain'" in err and "'campaign'" in err and "'purge'" in err
