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


def _preload_in_a_fresh_interpreter(db_path, **app_args) -> list[str]:
    """What a fresh interpreter has imported once the app has read its first screen (PanelApp.preload,
    what the CLI does before Textual's first frame): the db.models modules and the ORM's packages."""
    code = (
        "import sys\n"
        "from panel_tui.app import make_app\n"
        f"app = make_app(db_path={str(db_path)!r}, **{app_args!r})\n"
        "app.preload()\n"
        "assert app.startup_error is None, app.startup_error\n"
        "assert app._first_view is not None\n"
        "print(sorted(m for m in sys.modules if m.startswith('db.models') or m in ('sqlmodel', 'pydantic', 'sqlalchemy.orm')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return eval(done.stdout.strip().splitlines()[-1])


def test_the_first_screen_is_read_without_the_models_or_the_orm(tmp_path):
    """Opening the demo and reading the campaign screen's rows, or the campaigns list, goes through
    SQLAlchemy Core (db.core_tables): SQLModel, pydantic and the ORM are not even imported."""
    db_path = tmp_path / "demo.db"
    assert "db.models.records" in _preload_in_a_fresh_interpreter(db_path, demo=True)  # new: the whole schema
    assert _preload_in_a_fresh_interpreter(db_path, demo=True) == []
    assert _preload_in_a_fresh_interpreter(db_path) == []  # the campaigns list
