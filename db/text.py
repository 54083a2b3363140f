"""Text from people and files is data, never a command.

Names, refs and notes can arrive holding terminal escape sequences (OSC 52
writes the clipboard, OSC 2 sets the window title), other C0/C1 control
characters or bidi overrides that make text read differently from what it is.
``clean_line``/``clean_block`` remove them on the way in, and every way out
(TUI, CLI, CSV, Markdown, PDF) passes text through them again, so a value
stored before this rule existed, or written behind the app's back, is still
harmless when shown.
"""

from __future__ import annotations

import re

# The protective marking every output holding candidates' personal data carries: records (Markdown
# and PDF, top and bottom), feedback files, CSV exports (last row) and Excel workbooks (db.xlsx).
MARKING = "OFFICIAL-SENSITIVE"

# C0 controls except tab and newline, DEL, C1 controls, and the bidi embedding,
# override and isolate characters (U+202A-202E, U+2066-2069).
_UNSAFE_BLOCK = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# An escape sequence is removed whole, so no printable tail (``]52;c;...``) is left behind.
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC ... BEL/ST
    r"|\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
    r"|\x9d[^\x07\x9c]*(?:\x07|\x9c)?"  # 8-bit OSC
    r"|\x1b[P^_X][^\x1b]*(?:\x1b\\)?"  # DCS, PM, APC, SOS
    r"|\x1b[@-Z\\-_]"  # two-byte escapes
)


def clean_block(text: str | None) -> str:
    """Notes and other multi-line text: keep newlines and tabs, drop controls and escapes."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _UNSAFE_BLOCK.sub("", _ESCAPE_SEQUENCE.sub("", text))


def clean_line(text: str | None) -> str:
    """Names, refs, titles: one line, no controls or escapes (tabs and newlines become spaces)."""
    if not text:
        return ""
    text = text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ").replace("\t", " ")
    return _UNSAFE_LINE.sub("", _ESCAPE_SEQUENCE.sub("", text))


def is_clean_line(text: str) -> bool:
    return clean_line(text) == text


# A cell starting with one of these is run as a formula by spreadsheet programs.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "|", "%")


def spreadsheet_safe(value: object) -> object:
    """A CSV/XLSX cell that a spreadsheet shows as text, never runs (OWASP's CSV injection advice)."""
    if not isinstance(value, str):
        return value
    value = clean_line(value)
    if value.startswith(_FORMULA_START) and not _is_number(value):
        return "'" + value
    return value


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True
