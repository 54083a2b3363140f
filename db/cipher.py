"""SQLCipher 4: a database file that reveals nothing without its passphrase.

Only standard SQLCipher is used. The passphrase goes through SQLCipher 4's own
key derivation (PBKDF2-HMAC-SHA512, 256,000 iterations, the 16-byte salt SQLCipher
keeps at the start of the file); we run that derivation once per process with
hashlib and hand SQLCipher the derived key as "raw key data" (``x'key‖salt'``),
which SQLCipher documents for exactly this: every pooled connection then opens
without paying the 0.4 s derivation again. The passphrase never appears in a URL,
a log or a traceback.

Converting a file (encrypt, rekey, decrypt) writes a new file beside it with
``sqlcipher_export``, checks it, and only then replaces the original with one
``os.replace``: an interrupted conversion leaves the original untouched.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from db.errors import DatabaseFileError

SQLITE_HEADER = b"SQLite format 3\x00"
KDF_ITERATIONS = 256_000  # SQLCipher 4's default
SALT_BYTES = 16
KEY_BYTES = 32
MIN_PASSPHRASE = 8
PASSPHRASE_ENV = "PANEL_TUI_PASSPHRASE"


class PassphraseNeeded(DatabaseFileError):
    """The file is encrypted and no passphrase was given."""


class WrongPassphrase(DatabaseFileError):
    """The passphrase does not open this file (or it is not a panel-tui database)."""


def dbapi():
    """The SQLCipher DB-API module (imported only when an encrypted file is opened)."""
    try:
        import sqlcipher3.dbapi2 as module  # from the sqlcipher3-wheels package
    except ImportError:  # pragma: no cover - a platform without the wheel
        raise DatabaseFileError(
            "encryption needs the sqlcipher3-wheels package, which is not installed on this machine"
        ) from None
    return module


def is_encrypted(path: Path) -> bool:
    """True for a file that looks like SQLCipher: not plain SQLite, random-looking, and whole
    pages long (so a stray text file is still reported as "not an SQLite file")."""
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
        size = path.stat().st_size
    except OSError:
        return False
    return len(head) == 16 and head != SQLITE_HEADER and size >= 512 and size % 512 == 0


def in_use(path: Path) -> bool:
    """Does another process have this SQLite file open (WAL mode)? Each connection holds a shared
    lock on the "DMS" byte of the -shm file while open; an exclusive lock attempt shows it.
    Call it before this process opens the file: closing our descriptor drops our own locks."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows refuses to replace an open file anyway
        return False
    try:
        fd = os.open(path.with_name(path.name + "-shm"), os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 128)  # SQLite's UNIX_SHM_DMS byte
    except OSError:
        return True
    else:
        fcntl.lockf(fd, fcntl.LOCK_UN, 1, 128)
        return False
    finally:
        os.close(fd)


def check_new_passphrase(passphrase: str) -> str:
    """The rule for a passphrase that protects personal data."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise DatabaseFileError(f"a passphrase needs at least {MIN_PASSPHRASE} characters")
    return passphrase


@dataclass(frozen=True)
class FileKey:
    """A derived SQLCipher key for one file: what every connection to it presents."""

    key: bytes
    salt: bytes
    _pragma: str = field(repr=False, default="")

    @classmethod
    def derive(cls, passphrase: str, salt: bytes) -> "FileKey":
        if not passphrase:
            raise PassphraseNeeded("this database is encrypted: give its passphrase")
        key = hashlib.pbkdf2_hmac("sha512", passphrase.encode("utf-8"), salt, KDF_ITERATIONS, KEY_BYTES)
        return cls(key=key, salt=salt, _pragma=f"PRAGMA key = \"x'{key.hex()}{salt.hex()}'\"")

    @classmethod
    def for_file(cls, path: Path, passphrase: str) -> "FileKey":
        """The key for an existing encrypted file (its salt is its first 16 bytes)."""
        with path.open("rb") as fh:
            salt = fh.read(SALT_BYTES)
        return cls.derive(passphrase, salt)

    @classmethod
    def new(cls, passphrase: str) -> "FileKey":
        return cls.derive(check_new_passphrase(passphrase), os.urandom(SALT_BYTES))

    def apply(self, dbapi_conn) -> None:
        """Present the key on a new connection: must run before anything else touches the file."""
        cur = dbapi_conn.cursor()
        # SQLCipher logs decryption failures to stderr, where Textual draws the screen.
        cur.execute("PRAGMA cipher_log_level = NONE")
        cur.execute(self._pragma)
        cur.close()

    def matches(self, passphrase: str) -> bool:
        """Does ``passphrase`` open this file? (the idle lock asks again)."""
        import hmac

        other = hashlib.pbkdf2_hmac("sha512", passphrase.encode("utf-8"), self.salt, KDF_ITERATIONS, KEY_BYTES)
        return hmac.compare_digest(other, self.key)


def connect(path: Path, key: FileKey | None):
    """A raw connection (SQLCipher when keyed), checked readable: wrong keys fail here, not later."""
    module = dbapi()
    conn = module.connect(str(path), check_same_thread=False)
    try:
        if key is not None:
            key.apply(conn)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except module.DatabaseError:
        conn.close()
        if key is None:
            raise PassphraseNeeded(f"{path} is encrypted: give its passphrase ({PASSPHRASE_ENV} or the prompt)") from None
        raise WrongPassphrase(f"wrong passphrase for {path} (or it is not a panel-tui database)") from None
    return conn


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _attach_key(key: FileKey | None) -> str:
    return "''" if key is None else f"\"x'{key.key.hex()}{key.salt.hex()}'\""


def convert(path: Path, old: FileKey | None, new: FileKey | None) -> None:
    """Rewrite ``path`` under a new key (None = plain SQLite), safely.

    The copy is made beside the original, checked (integrity and every table's
    row count), synced, and then swapped in with one rename; until that rename
    the original is untouched, so an interruption loses nothing.
    """
    tmp = path.with_name(path.name + ".converting")
    # A write lock held from before the export until after the rename: no commit can slip in
    # between and be lost with the old file.
    guard = connect(path, old)
    try:
        _lock_with_empty_wal(guard, path)
        for stale in (tmp, tmp.with_name(tmp.name + "-journal")):
            stale.unlink(missing_ok=True)
        os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        try:
            _export(path, tmp, old, new)
            # The WAL is empty (every commit is in the main file), so removing it loses nothing.
            for side in ("-wal", "-shm"):
                path.with_name(path.name + side).unlink(missing_ok=True)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _fsync_folder(path.parent)
    finally:
        guard.rollback()
        guard.close()


def _lock_with_empty_wal(guard, path: Path) -> None:
    """Fold the WAL into the main file, then hold the write lock; retried if a write came in between."""
    guard.execute("PRAGMA busy_timeout = 3000")
    wal = path.with_name(path.name + "-wal")
    for _ in range(5):
        try:
            guard.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            guard.execute("BEGIN IMMEDIATE")
        except dbapi().OperationalError:
            break
        if not wal.exists() or wal.stat().st_size == 0:
            return
        guard.rollback()
    raise DatabaseFileError(f"{path} is being written by another program: close panel-tui there and try again")


def _export(path: Path, tmp: Path, old: FileKey | None, new: FileKey | None) -> None:
    """Copy ``path`` into ``tmp`` under the new key, check it and sync it."""
    src = connect(path, old)
    try:
        # Reads go through the WAL, so the export sees every committed row.
        counts = _row_counts(src)
        src.execute(f"ATTACH DATABASE {_sql_string(str(tmp))} AS converted KEY {_attach_key(new)}")
        src.execute("SELECT sqlcipher_export('converted')")
        src.execute("DETACH DATABASE converted")
    finally:
        src.close()
    check = connect(tmp, new)
    try:
        ok = check.execute("PRAGMA integrity_check").fetchone()[0] == "ok" and _row_counts(check) == counts
    finally:
        check.close()
    if not ok:
        raise DatabaseFileError(f"could not convert {path}: the new copy did not match; the original is unchanged")
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())


def _row_counts(conn) -> dict[str, int]:
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
    return {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - Windows cannot open folders
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
