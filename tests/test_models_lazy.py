"""db.models builds a table when it is first named (import cost; see db/models/__init__.py)."""

import subprocess
import sys

import db.models as models


def test_every_table_is_listed_once_and_named_by_its_module():
    assert set(models.__all__) == {"TableModel", "utcnow", "load_all", *models.TABLES}
    models.load_all()
    for name, module in models.TABLES.items():
        table = getattr(models, name)
        assert table.__module__ == f"db.models.{module}"
        assert table.__tablename__ == name.lower()


def test_unknown_names_are_attribute_errors():
    try:
        models.NoSuchTable  # noqa: B018
    except AttributeError as exc:
        assert "NoSuchTable" in str(exc)
    else:
        raise AssertionError("an unknown name resolved")


def test_load_all_registers_every_table_on_the_metadata():
    from sqlmodel import SQLModel

    models.load_all()
    assert {name.lower() for name in models.TABLES} <= set(SQLModel.metadata.tables)


def test_the_first_screen_builds_only_its_tables(tmp_path):
    """Opening the demo and reading the campaign screen's rows (what the app does before its first
    frame) builds the campaign, assessment and framework tables only, in a fresh interpreter."""
    db_path = tmp_path / "demo.db"
    code = (
        "import sys\n"
        "from panel_tui.app import make_app\n"
        f"app = make_app(db_path={str(db_path)!r}, demo=True)\n"
        "app.preload()\n"
        "assert app.startup_error is None, app.startup_error\n"
        "print(sorted(m for m in sys.modules if m.startswith('db.models.')))\n"
    )
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "db.models.records" in first.stdout  # a new database: the whole schema was created
    again = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    built = eval(again.stdout.strip().splitlines()[-1])
    assert built == ["db.models.assessment", "db.models.base", "db.models.campaign", "db.models.framework"]
