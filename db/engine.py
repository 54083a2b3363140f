"""The one place the engine is made.

SQLite-specific settings (WAL, foreign keys, busy timeout, synchronous) live
here alone; everything else speaks portable SQLAlchemy so the same code runs
on PostgreSQL.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

from sqlalchemy import (
    Column,
    Engine,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    create_engine,
    event,
    func,
    insert,
    inspect,
    select,
)
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlalchemy.pool import StaticPool

from db import cipher
from db.cipher import FileKey
from db.errors import DatabaseFileError
from db.location import APP_NAME, default_db_path, resolve_url, sqlite_path, sqlite_url  # noqa: F401  (re-exported)

if TYPE_CHECKING:  # SQLModel is imported by the first session, not by opening: start-up reads through Core
    from sqlmodel import Session

SQLITE_HEADER = cipher.SQLITE_HEADER


def file_state(url: str) -> str:
    """What is at ``url`` before opening it: "new" (no file, or an empty one), "plain" (SQLite),
    "encrypted" (SQLCipher), "other" (any other file: refused on opening) or "server" (not a file)."""
    path = sqlite_path(url)
    if path is None:
        return "server"
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except FileNotFoundError:
        return "new"
    except OSError:
        return "other"  # a folder, unreadable...: opening says which
    if not head:
        return "new"
    if head == SQLITE_HEADER:
        return "plain"
    return "encrypted" if cipher.is_encrypted(path) else "other"


def _prepare_sqlite_file(path: Path) -> None:
    """Make the folder and file owner-only, and refuse a file that is neither SQLite nor SQLCipher."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseFileError(f"cannot create data folder {path.parent}: {exc.strerror}") from None
    if path.exists():
        if path.is_dir():
            raise DatabaseFileError(f"{path} is a folder, not a panel-tui database")
        with path.open("rb") as fh:
            head = fh.read(16)
        if head and head != SQLITE_HEADER and not cipher.is_encrypted(path):
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


def file_key(url: str, passphrase: str | None) -> FileKey | None:
    """The key that opens the file at ``url`` (None: a plain file), checked against the file.

    Runs the key derivation (0.2-0.4 s): the TUI calls it in its loading worker. Raises
    PassphraseNeeded / WrongPassphrase / DatabaseFileError with one line; the file is not written.
    """
    state = file_state(url)
    path = sqlite_path(url)
    if state == "server":
        if passphrase:
            raise DatabaseFileError(
                "a passphrase encrypts SQLite files only; encryption on PostgreSQL is the server's job (disk encryption, TLS)"
            )
        return None
    assert path is not None
    if state == "encrypted":
        if not passphrase:
            raise cipher.PassphraseNeeded(f"{path} is encrypted: give its passphrase ({cipher.PASSPHRASE_ENV} or the prompt)")
        key = FileKey.for_file(path, passphrase)
        cipher.connect(path, key).close()  # a wrong passphrase fails here, reading nothing
        return key
    if passphrase and state == "plain":
        raise DatabaseFileError(f"{path} is not encrypted: open it without a passphrase, or encrypt it with 'panel-tui encrypt'")
    if passphrase and state == "new":
        return FileKey.new(passphrase)  # a new file is created encrypted
    return None


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA secure_delete=ON")  # deleted or overwritten text (purge) is zeroed, not left in free pages
    cur.execute("PRAGMA busy_timeout=5000")
    # FULL: a commit is on disk before it returns, so a power cut loses nothing saved.
    cur.execute("PRAGMA synchronous=FULL")
    cur.close()


def _use_wal(engine: Engine, url: str) -> None:
    """Write-ahead logging (readers never wait for a writer). Set once the file is known to be
    panel-tui's, or new, never before: the mode is stored in the file, so another program's
    database, or one from a newer version, is refused without a byte of it changed."""
    if sqlite_path(url) is None:
        return  # a server, or in memory
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA journal_mode=WAL")


def ids_follow_max(conn) -> bool:
    """Whether a new row's id is its table's max(id) + 1 (SQLite, whose tables here have no
    AUTOINCREMENT): a writer holding the write lock may then give the ids with its rows instead of
    reading them back. Elsewhere (PostgreSQL) ids come from a sequence."""
    return conn.dialect.name == "sqlite"


def make_engine(url: str, key: FileKey | None = None) -> Engine:
    """Make the engine for any SQLAlchemy URL; SQLite gets its durability settings.

    With ``key``, the file is SQLCipher: every new connection presents the key first (the
    passphrase is never in the URL; the derivation is not repeated per connection)."""
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        if path is None:
            if key is not None:
                raise DatabaseFileError("an in-memory database is not stored: there is nothing to encrypt")
            # In-memory: one shared connection so every session sees the same data.
            engine = create_engine(url, connect_args={"check_same_thread": False}, poolclass=StaticPool)
        else:
            _prepare_sqlite_file(path)
            if key is None:
                engine = create_engine(url, connect_args={"check_same_thread": False})
            else:
                engine = create_engine(url, module=cipher.dbapi(), connect_args={"check_same_thread": False})
                event.listen(engine, "connect", lambda dbapi_conn, _record: key.apply(dbapi_conn))
        event.listen(engine, "connect", _sqlite_pragmas)  # after the key: nothing reads the file before it
        return engine
    if key is not None:
        raise DatabaseFileError("encryption on PostgreSQL is the server's job (disk encryption, TLS)")
    return _server_engine(url)


# A pooled server connection unused for this long is pinged before use (a server restart, or a
# firewall dropping idle connections, is then met by a fresh connection rather than an error).
IDLE_PING_SECONDS = 30.0
RECYCLE_SECONDS = 1800


def _server_engine(url: str) -> Engine:
    """PostgreSQL: no ping per checkout (pool_pre_ping costs a round trip on every session, which
    is what made opening the interview over twice SQLite's time); only a connection that sat idle in
    the pool is pinged, and none is kept longer than RECYCLE_SECONDS. A connection that still
    fails mid-use is invalidated by SQLAlchemy, and the next session gets a new one."""
    from sqlalchemy.exc import DisconnectionError

    engine = create_engine(url, pool_recycle=RECYCLE_SECONDS)

    def checked_in(_dbapi_conn, record) -> None:
        record.info["idle_since"] = time.monotonic()

    def checked_out(dbapi_conn, record, _proxy) -> None:
        since = record.info.get("idle_since")
        if since is not None and time.monotonic() - since > IDLE_PING_SECONDS:
            try:
                engine.dialect.do_ping(dbapi_conn)
            except Exception as exc:  # noqa: BLE001 - any failure: the pool replaces this connection
                raise DisconnectionError(str(exc)) from exc

    event.listen(engine, "checkin", checked_in)
    event.listen(engine, "checkout", checked_out)
    if engine.dialect.driver == "psycopg":
        _end_reads_with_commit(engine)
    return engine


def _end_reads_with_commit(engine: Engine) -> None:
    """A transaction that only ran SELECTs ends with COMMIT rather than ROLLBACK (the same effect).

    Why: psycopg drops its prepared statements on every ROLLBACK, and every read session ends
    with one, so the interview's reads were parsed and planned afresh each time (planning was
    over half the server's time). Anything else (a write, DDL, a failed statement) is rolled back.
    """
    from psycopg.pq import TransactionStatus

    def begun(conn) -> None:
        conn.info["wrote"] = False

    def executing(conn, _cursor, statement: str, _params, _context, _many) -> None:
        if not conn.info.get("wrote") and statement.lstrip()[:6].upper() != "SELECT":
            conn.info["wrote"] = True  # conservative: WITH, SET, SAVEPOINT... count as writes

    def rolling_back(conn) -> None:
        dbapi_conn = conn.connection.dbapi_connection
        if not conn.info.pop("wrote", True) and dbapi_conn.info.transaction_status == TransactionStatus.INTRANS:
            dbapi_conn.commit()  # the ROLLBACK that follows finds no transaction and sends nothing

    event.listen(engine, "begin", begun)
    event.listen(engine, "before_cursor_execute", executing)
    event.listen(engine, "rollback", rolling_back)


@dataclass
class Database:
    """An opened, migrated panel-tui database."""

    engine: Engine
    url: str
    key: FileKey | None = None
    """The file's SQLCipher key (None: not encrypted); the idle lock checks a passphrase against it."""

    @property
    def encrypted(self) -> bool:
        return self.key is not None

    def session(self) -> Session:
        from sqlmodel import Session

        return Session(self.engine, expire_on_commit=False)

    def dispose(self) -> None:
        self.engine.dispose()


@contextmanager
def single_transaction(engine: Engine) -> Iterator[Session]:
    """A session for bulk writes: its commits become savepoints inside one real transaction,
    committed (one fsync) when the block ends, or rolled back entirely if it raises."""
    from sqlmodel import Session

    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            # pysqlite opens a transaction only before DML, so the session's first SAVEPOINT would be
            # outermost and its RELEASE a real commit; an explicit BEGIN keeps every savepoint nested.
            conn.exec_driver_sql("BEGIN")
        else:
            conn.begin()  # begun before the session joins, so its commits are savepoints here too
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


def _create_schema(
    engine: Engine, *, load_frameworks: bool, on_create: Callable[[Session], object] | None = None
) -> None:
    """A new, empty database: the head schema from the models, HEAD recorded, the bundled
    frameworks and ``on_create``'s rows, in one transaction (one fsync). Same tables as running every
    migration (tests/test_engine.py checks it), without importing Alembic (and with it every SQL dialect)."""
    from sqlmodel import SQLModel

    from db.migrations import HEAD
    from db.models import load_all

    load_all()  # every table on the metadata

    with single_transaction(engine) as session:
        conn = session.connection()
        SQLModel.metadata.create_all(conn, checkfirst=False)  # the file was checked: no tables
        _VERSION_TABLE.create(conn)
        conn.execute(insert(_VERSION_TABLE).values(version_num=HEAD))
        if load_frameworks:
            from db.frameworks import ensure_bundled

            ensure_bundled(session)
        if on_create is not None:
            on_create(session)


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


def has_bundled(engine: Engine) -> bool:
    """Whether the bundled frameworks are all there: one Core query (the usual case: yes, and then
    opening needs neither the ORM nor the frameworks' data)."""
    from db.core_tables import BUNDLED_KEYS, framework

    with engine.connect() as conn:
        found = conn.execute(select(func.count()).select_from(framework).where(framework.c.key.in_(BUNDLED_KEYS))).scalar()
    return found == len(BUNDLED_KEYS)


def open_database(
    url: str | None = None,
    *,
    load_frameworks: bool = True,
    passphrase: str | None = None,
    key: FileKey | None = None,
    on_create: Callable[[Session], object] | None = None,
) -> Database:
    """Open (creating or upgrading as needed) the database at ``url``.

    ``on_create(session)`` runs inside the transaction that creates a new SQLite file (the TUI's
    demo: the whole first start is one commit, one fsync); its commits are savepoints.

    An encrypted file needs its ``passphrase`` (or an already derived ``key``); a new file
    given a passphrase is created encrypted. Raises DatabaseFileError with a one-line message
    for a file that is not panel-tui's, is corrupt, was written by a newer version of the app,
    or is encrypted and the passphrase is missing or wrong (the file is not written then).
    """
    from db.migrations import HEAD, KNOWN_REVISIONS, upgrade

    url = url or resolve_url()
    if key is None:
        key = file_key(url, passphrase)
    engine = make_engine(url, key)
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
        if engine.dialect.name == "sqlite":
            _use_wal(engine, url)
            _create_schema(engine, load_frameworks=load_frameworks, on_create=on_create)
            return Database(engine=engine, url=url, key=key)
        # A server database is made by the migrations: they also create what the models cannot
        # express (PostgreSQL row-level security policies, migration 0004).
        upgrade(engine)
        revision = HEAD
    if revision not in KNOWN_REVISIONS:
        engine.dispose()
        raise DatabaseFileError(
            f"{where} was written by a newer version of panel-tui (schema {revision}); upgrade panel-tui to open it"
        )
    _use_wal(engine, url)
    if revision != HEAD:
        upgrade(engine)
    database = Database(engine=engine, url=url, key=key)
    if load_frameworks and not has_bundled(engine):
        from db.frameworks import ensure_bundled

        with database.session() as session:
            ensure_bundled(session)
    return database


def memory_database() -> Database:
    """A fresh in-memory database (tests, benchmarks)."""
    return open_database("sqlite://")
