"""Where a passphrase comes from, for the CLI: a file, the environment, or a prompt.

No Textual here (CLI commands must not import it); the TUI asks on its loading screen instead.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

PASSPHRASE_ENV = "PANEL_TUI_PASSPHRASE"  # same name as db.cipher.PASSPHRASE_ENV (not imported: stays cheap)
NEW_PASSPHRASE_ENV = "PANEL_TUI_PASSPHRASE_NEW"


def read_passphrase_file(path: str | os.PathLike[str]) -> str:
    """The first line of a passphrase file (its line ending removed)."""
    from db.errors import ValidationError

    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ValidationError(f"cannot read passphrase file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ValidationError(f"passphrase file {path}: not a UTF-8 text file") from None
    line = text.splitlines()[0] if text else ""
    if not line:
        raise ValidationError(f"passphrase file {path} is empty")
    return line


def _interactive() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def ask(prompt: str) -> str | None:
    """One getpass prompt when stdin is a terminal; None otherwise."""
    if not _interactive():
        return None
    import getpass

    return getpass.getpass(prompt)


def ask_new(prompt: str = "New passphrase: ") -> str | None:
    """A new passphrase, typed twice (None without a terminal)."""
    from db.cipher import check_new_passphrase
    from db.errors import ValidationError

    first = ask(prompt)
    if first is None:
        return None
    check_new_passphrase(first)
    if ask("Again: ") != first:
        raise ValidationError("the two passphrases differ; nothing changed")
    return first


def given(passphrase_file: str | None) -> str | None:
    """A passphrase given up front: --db-passphrase-file, else PANEL_TUI_PASSPHRASE (None: neither)."""
    if passphrase_file:
        return read_passphrase_file(passphrase_file)
    return os.environ.get(PASSPHRASE_ENV) or None


def for_opening(url: str, passphrase_file: str | None) -> str | None:
    """The passphrase to open ``url`` with: given up front, else asked for (a terminal and an
    encrypted file only). A given passphrase is passed on for any file, so a plain file opened
    with one is refused ("not encrypted") and a new file is created encrypted."""
    from db.engine import file_state

    state = file_state(url)
    found = given(passphrase_file)
    if state == "server" and not passphrase_file:
        return None  # a passphrase in the environment is for files; the server encrypts its own
    if found is None and state == "encrypted":
        found = ask(f"Passphrase for {url.split('///', 1)[-1]}: ")
    return found
