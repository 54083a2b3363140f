"""`panel-tui encrypt | rekey | decrypt`: protect a database file with a passphrase (SQLCipher).

The file is rewritten beside itself, checked and swapped in with one rename (db.cipher.convert):
an interruption leaves the original as it was. PostgreSQL is refused: encrypting its storage
and connections is the server's job.
"""

from __future__ import annotations

import argparse
import os
import sys

from panel_tui.passphrase import NEW_PASSPHRASE_ENV, PASSPHRASE_ENV


def register(sub: argparse._SubParsersAction) -> None:
    new_help = (f"the new passphrase: from --new-passphrase-file, else env {NEW_PASSPHRASE_ENV}, "
                "else asked twice (at least 8 characters)")
    e = sub.add_parser(
        "encrypt", help="encrypt the database file with a passphrase (a lost laptop or stick then reveals nothing)",
        description=f"Encrypt the SQLite database with SQLCipher. {new_help}. The app and every command then need "
        f"the passphrase: env {PASSPHRASE_ENV}, --db-passphrase-file, or the prompt.",
    )
    e.add_argument("--new-passphrase-file", metavar="FILE", help="read the new passphrase from the first line of FILE")
    e.set_defaults(handler=encrypt_cmd)
    r = sub.add_parser("rekey", help="change the passphrase of an encrypted database",
                       description=f"Old passphrase: --db-passphrase-file, env {PASSPHRASE_ENV} or asked. {new_help}.")
    r.add_argument("--new-passphrase-file", metavar="FILE", help="read the new passphrase from the first line of FILE")
    r.set_defaults(handler=rekey_cmd)
    d = sub.add_parser("decrypt", help="turn an encrypted database back into a plain SQLite file",
                       description=f"Passphrase: --db-passphrase-file, env {PASSPHRASE_ENV} or asked.")
    d.set_defaults(handler=decrypt_cmd)


def _file(args: argparse.Namespace):
    """The database file to convert, refused if it is on a server, missing, or open in another program."""
    from db import cipher
    from db.engine import file_state, resolve_url, sqlite_path
    from db.errors import DatabaseFileError

    url = resolve_url(args.db_url, args.db)
    path = sqlite_path(url)
    if path is None:
        if url.startswith("sqlite"):
            raise DatabaseFileError("an in-memory database is not stored: there is nothing to encrypt")
        raise DatabaseFileError("encryption on PostgreSQL is the server's job (its disk encryption and TLS); nothing changed")
    state = file_state(url)
    if state == "new":
        raise DatabaseFileError(f"no database at {path}")
    if state == "other":
        raise DatabaseFileError(f"{path} is not a panel-tui database (not an SQLite file)")
    if cipher.in_use(path):
        raise DatabaseFileError(f"{path} is open in another program (panel-tui?): close it there first; nothing changed")
    return path, state


def _old_key(args: argparse.Namespace, path):
    from db.cipher import FileKey, PassphraseNeeded
    from panel_tui.passphrase import ask, given

    passphrase = given(args.db_passphrase_file) or ask(f"Passphrase for {path}: ")
    if not passphrase:
        raise PassphraseNeeded(f"{path} is encrypted: give its passphrase ({PASSPHRASE_ENV}, --db-passphrase-file or the prompt)")
    return FileKey.for_file(path, passphrase)


def _new_key(args: argparse.Namespace):
    from db.cipher import FileKey
    from db.errors import ValidationError
    from panel_tui.passphrase import ask_new, read_passphrase_file

    if args.new_passphrase_file:
        passphrase = read_passphrase_file(args.new_passphrase_file)
    else:
        passphrase = os.environ.get(NEW_PASSPHRASE_ENV) or ask_new()
    if not passphrase:
        raise ValidationError(f"give the new passphrase: {NEW_PASSPHRASE_ENV}, --new-passphrase-file, or run in a terminal")
    return FileKey.new(passphrase)


def _convert(path, old, new, what: str) -> None:
    from db.cipher import convert
    from db.errors import DatabaseFileError

    try:
        convert(path, old, new)
    except OSError as exc:
        raise DatabaseFileError(f"could not {what} {path}: {exc.strerror or exc}; the original is unchanged") from None


def encrypt_cmd(args: argparse.Namespace) -> int:
    from db.errors import DatabaseFileError

    path, state = _file(args)
    if state == "encrypted":
        raise DatabaseFileError(f"{path} is already encrypted (change its passphrase with 'panel-tui rekey')")
    _convert(path, None, _new_key(args), "encrypt")
    print(f"{path}: encrypted. Keep the passphrase safe: without it the data cannot be recovered.", file=sys.stderr)
    return 0


def rekey_cmd(args: argparse.Namespace) -> int:
    from db.cipher import connect
    from db.errors import DatabaseFileError

    path, state = _file(args)
    if state != "encrypted":
        raise DatabaseFileError(f"{path} is not encrypted (encrypt it with 'panel-tui encrypt')")
    old = _old_key(args, path)
    connect(path, old).close()  # a wrong old passphrase is refused before a new one is asked for
    _convert(path, old, _new_key(args), "re-key")
    print(f"{path}: passphrase changed.", file=sys.stderr)
    return 0


def decrypt_cmd(args: argparse.Namespace) -> int:
    from db.errors import DatabaseFileError

    path, state = _file(args)
    if state != "encrypted":
        raise DatabaseFileError(f"{path} is not encrypted")
    _convert(path, _old_key(args, path), None, "decrypt")
    print(f"{path}: decrypted; the file now shows its contents to anyone who can read it.", file=sys.stderr)
    return 0
