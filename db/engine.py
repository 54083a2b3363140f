"""The one place the engine is made.

SQLite-specific settings (WAL, foreign keys, busy timeout, synchronous) live
here alone; everything else speaks portable SQLAlchemy so the same code runs
on PostgreSQL.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from sqlalchemy import (
    Column,
    Engine,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    create_engine,
    event,
    insert,
    inspect,
    select,
)
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session

from db.errors import DatabaseFileError

SQLITE_HEADER = b"SQLite format 3\x00"
APP_NAME = "panel-tui"


def default_db_path() -> Path:
    # platformdirs is cheap to import; the folder itself is made only when opened.
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False) / "panel.db"


def resolve_url(db_url: str | None = None, db_path: str | os.PathLike[str] | None = None) -> str:
    """Choose the database: explicit URL, explicit path, environment, or the default file."""
    if db_url:
        return db_url
    if db_path:
        return sqlite_url(Path(db_path))
    if env_url := os.environ.get("PANEL_TUI_DB_URL"):
        return env_url
    if env_path := os.environ.get("PANEL_TUI_DB"):
        return sqlite_url(Path(env_path))
    return sqlite_url(default_db_path())


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.expanduser().absolute()}"


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for memory / other databases."""
    if not url.startswith("sqlite"):
        return None
    rest = url.split("://", 1)[1]
    if rest in ("", "/", "/:memory:") or ":memory:" in rest:
        return None
    return Path(rest[1:]) if rest.startswith("/") else Path(rest)


def _prepare_sqlite_file(path: Path) -> None:
    """Make the folder and file owner-only, and refuse a file that is not SQLite."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseFileError(f"cannot create data folder {path.parent}: {exc.strerror}") from None
    if path.exists():
        if path.is_dir():
            raise DatabaseFileError(f"{path} is a folder, not a panel-tui database")
        with path.open("rb") as fh:
            head = fh.read(16)
        if head and head != SQLITE_HEADER:
            raise DatabaseFileError(f"{path} is not a panel-tui database (not an SQLite file)")
        if not os.access(path, os.W_OK):
            raise DatabaseFileError(f"{path} is not writable")
        return
    if not os.access(path.parent, os.W_OK):
        raise DatabaseFileError(f"data folder {path.parent} is not writable")
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except OSError as exc:
        raise DatabaseFileError(f"cannot create {path}: {exc.strerror}") from None
    os.close(fd)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA secure_delete=ON")  # deleted or overwritten text (purge) is zeroed, not left in free pages
    cur.execute("PRAGMA busy_timeout=5000")
    cur.execute("PRAGMA journal_mode=WAL")
    # FULL: a commit is on disk before it returns, so a power cut loses nothing saved.
    cur.execute("PRAGMA synchronous=FULL")
    cur.close()


def make_engine(url: str) -> Engine:
    """Make the engine for any SQLAlchemy URL; SQLite gets its durability settings."""
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        if path is None:
            # In-memory: one shared connection so every session sees the same data.
            engine = create_engine(url, connect_args={"check_same_thread": False}, poolclass=StaticPool)
        else:
            _prepare_sqlite_file(path)
            engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


@dataclass
class Database:
    """An opened, migrated panel-tui database."""

    engine: Engine
    url: str

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def dispose(self) -> None:
        self.engine.dispose()


@contextmanager
def single_transaction(engine: Engine) -> Iterator[Session]:
    """A session for bulk writes: its commits become savepoints inside one real transaction,
    committed (one fsync) when the block ends, or rolled back entirely if it raises."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            # pysqlite opens a transaction only before DML, so the session's first SAVEPOINT would be
            # outermost and its RELEASE a real commit; an explicit BEGIN keeps every savepoint nested.
            conn.exec_driver_sql("BEGIN")
        session = Session(conn, expire_on_commit=False, join_transaction_mode="create_savepoint")
        try:
            yield session
            session.commit()  # what the block did after its last commit, if anything
            session.close()
            conn.commit()
        except BaseException:
            session.close()
            conn.rollback()
            raise


# Alembic's own version table, same name, type and constraint as Alembic creates it.
_VERSION_TABLE = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)


def _create_schema(engine: Engine, *, load_frameworks: bool) -> None:
    """A new, empty database: the head schema from the models, HEAD recorded, and the bundled
    frameworks, in one transaction (one fsync). Same tables as running every migration
    (tests/test_engine.py checks it), without importing Alembic (and with it every SQL dialect)."""
    import db.models  # noqa: F401  (registers the tables on the metadata)
    from sqlmodel import SQLModel

    from db.migrations import HEAD

    with single_transaction(engine) as session:
        conn = session.connection()
        SQLModel.metadata.create_all(conn, checkfirst=False)  # the file was checked: no tables
        _VERSION_TABLE.create(conn)
        conn.execute(insert(_VERSION_TABLE).values(version_num=HEAD))
        if load_frameworks:
            from db.frameworks import ensure_bundled

            ensure_bundled(session)


def _schema_state(engine: Engine) -> tuple[set[str], str | None]:
    """(tables, schema revision); the common case is one cheap query."""
    try:
        with engine.connect() as conn:
            revision = conn.execute(select(_VERSION_TABLE.c.version_num)).scalar()
        if revision is not None:
            return {"alembic_version"}, revision
    except DatabaseError:
        pass  # no version table (a new file, or not ours), or not a database: inspect() says which
    return set(inspect(engine).get_table_names()), None


def open_database(url: str | None = None, *, load_frameworks: bool = True) -> Database:
    """Open (creating or upgrading as needed) the database at ``url``.

    Raises DatabaseFileError with a one-line message for a file that is not
    panel-tui's, is corrupt, or was written by a newer version of the app.
    """
    from db.migrations import HEAD, KNOWN_REVISIONS, upgrade

    url = url or resolve_url()
    engine = make_engine(url)
    where = sqlite_path(url) or url
    try:
        tables, revision = _schema_state(engine)
    except (DatabaseError, OperationalError) as exc:
        engine.dispose()
        if isinstance(exc, OperationalError) and sqlite_path(url) is None and not url.startswith("sqlite"):
            raise DatabaseFileError(f"cannot connect to database {where}: {str(exc.orig).strip().splitlines()[0]}") from None
        raise DatabaseFileError(f"{where} is not a panel-tui database (or is corrupt)") from None
    if revision is None:
        if tables:
            engine.dispose()
            raise DatabaseFileError(f"{where} is not a panel-tui database (it has other tables)")
        _create_schema(engine, load_frameworks=load_frameworks)
        return Database(engine=engine, url=url)
    if revision not in KNOWN_REVISIONS:
        engine.dispose()
        raise DatabaseFileError(
            f"{where} was written by a newer version of panel-tui (schema {revision}); upgrade panel-tui to open it"
        )
    elif revision != HEAD:
        upgrade(engine)
    database = Database(engine=engine, url=url)
    if load_frameworks:
        from db.frameworks import ensure_bundled

        with database.session() as session:
            ensure_bundled(session)
    return database


def memory_database() -> Database:
    """A fresh in-memory database (tests, benchmarks)."""
    return open_database("sqlite://")
