"""What every file that comes in must satisfy before it is read: size, depth, types, ranges, clean text.

Files are data from another laptop or a spreadsheet, so nothing in them is
trusted: a file is measured (size, nesting) before it is parsed, then
validated against a typed spec (Pydantic, strict: ``"false"`` is not a
boolean, ``"4"`` is not a number) whose text fields pass through
``db.text.clean_line``/``clean_block``. A spec refusal becomes one line naming
the file, the place (``candidates[3].ref``) and the problem, in ``refusal``:
the one place where Pydantic's errors turn into the project's errors.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Annotated, Any, TypeVar

import pydantic
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from db.errors import PanelError
from db.text import clean_block, clean_line

# --- limits -------------------------------------------------------------------------

MAX_DEPTH = 16  # nesting of lists/objects in any file; ours need at most 9
CLOCK_SKEW = timedelta(minutes=5)  # how far in the future a timestamp may be (laptop clocks differ)
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2100, 1, 1, tzinfo=timezone.utc)
KEY_PATTERN = r"^[a-z0-9][a-z0-9-]{0,79}$"  # campaign and framework keys: safe in paths, URLs and shells


class Spec(BaseModel):
    """A part of a file: strict types, no unknown fields, finite numbers."""

    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False, frozen=True)


# --- field types ----------------------------------------------------------------------


# Each text and time type is ONE Python validator: a return holds tens of thousands of them.


def Line(max_length: int, *, required: bool = False) -> Any:  # noqa: N802 - a type factory
    """One line of text: controls and escapes removed, trimmed, at most ``max_length`` characters."""

    def check(text: str) -> str:
        # Printable text holds no control, escape or bidi character: nothing to clean (the common case).
        text = (text if text.isprintable() else clean_line(text)).strip()
        if required and not text:
            raise ValueError("must not be empty")
        return text

    return Annotated[str, StringConstraints(max_length=max_length), AfterValidator(check)]


def block_text(text: str) -> str:
    """``Block``'s cleaning: newlines kept, controls and escapes removed (printable text as it is)."""
    if "\r" in text or not text.replace("\n", "").replace("\t", "").isprintable():
        return clean_block(text)
    return text


def Block(max_length: int, *, required: bool = False) -> Any:  # noqa: N802
    """Multi-line text (notes, definitions): newlines kept, controls and escapes removed."""

    def check(text: str) -> str:
        text = block_text(text)
        if required and not text.strip():
            raise ValueError("must not be empty")
        return text

    return Annotated[str, StringConstraints(max_length=max_length), AfterValidator(check)]


Name = Line(200, required=True)
Key = Annotated[str, StringConstraints(pattern=KEY_PATTERN)]
Level = Annotated[int, Field(ge=1, le=6)]
Position = Annotated[int, Field(ge=0, le=999)]
Number = Annotated[float, Field(ge=-1_000_000, le=1_000_000)]


def _iso_text(value: Any) -> str:
    # Times come as ISO text only: a bare number would be read as seconds since 1970.
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date/time text")
    if len(value) > 40:
        raise ValueError("is too long for a date/time")
    return value


def _moment(value: Any, *, past: bool) -> datetime:
    if not isinstance(value, datetime):
        try:
            value = datetime.fromisoformat(_iso_text(value))
        except ValueError as exc:
            raise ValueError(str(exc) if "ISO 8601" in str(exc) else "must be an ISO 8601 date and time") from None
    value = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    if not EARLIEST <= value < LATEST:
        raise ValueError(f"{value:%Y-%m-%d} is not between {EARLIEST:%Y} and {LATEST:%Y}")
    if past and value > datetime.now(timezone.utc) + CLOCK_SKEW:
        raise ValueError(f"{value.isoformat(timespec='seconds')} is in the future")
    return value


def _day(value: Any) -> date:
    if not isinstance(value, date):
        try:
            value = date.fromisoformat(_iso_text(value))
        except ValueError as exc:
            raise ValueError(str(exc) if "ISO 8601" in str(exc) else "must be a date, YYYY-MM-DD") from None
    if isinstance(value, datetime) or not EARLIEST.date() <= value < LATEST.date():
        raise ValueError(f"{value} is not a date between {EARLIEST:%Y} and {LATEST:%Y}")
    return value


_UTC = timezone.utc
_fromisoformat = datetime.fromisoformat
_latest_allowed = [EARLIEST]  # now + CLOCK_SKEW when last read: a time at or before it is not in the future


def _stamp(value: Any) -> datetime:
    """``_moment(value, past=True)`` for a good ISO text, with the clock read only when the time is
    later than its last reading allowed (the clock only moves on): a return holds 160,000 times.
    Anything else (and every refusal, so its wording) goes through ``_moment``."""
    if type(value) is str and len(value) <= 40:
        try:
            moment = _fromisoformat(value)
        except ValueError:
            return _moment(value, past=True)
        zone = moment.tzinfo
        if zone is None:
            moment = moment.replace(tzinfo=_UTC)
        elif zone is not _UTC:
            moment = moment.astimezone(_UTC)
        if EARLIEST <= moment < LATEST:
            if moment <= _latest_allowed[0]:
                return moment
            _latest_allowed[0] = datetime.now(_UTC) + CLOCK_SKEW
            if moment <= _latest_allowed[0]:
                return moment
    return _moment(value, past=True)


# A time something happened (evidence saved, file written): not in the future.
Stamp = Annotated[datetime, BeforeValidator(_stamp)]
# A time something is planned (an interview slot): within sane bounds.
When = Annotated[datetime, BeforeValidator(lambda v: _moment(v, past=False))]
Day = Annotated[date, BeforeValidator(_day)]


def unique(values: list[str], what: str, *, fold: bool = True) -> None:
    """Raise ValueError naming the first value that appears twice (names compare case-insensitively)."""
    seen: set[str] = set()
    for v in values:
        k = v.lower() if fold else v
        if k in seen:
            raise ValueError(f"{what} {v!r} appears twice")
        seen.add(k)


# --- before parsing: size and depth ---------------------------------------------------------

_TOML_STRING = re.compile(
    rb'"""(?:[^\\]|\\.)*?"""|\'\'\'.*?\'\'\'|"[^"\\\n]*(?:\\.[^"\\\n]*)*"|\'[^\'\n]*\'|#[^\n]*', re.DOTALL
)
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_EMPTY_PAIR = re.compile(rb"\[\]|\{\}")


def _json_brackets(data: bytes) -> bytes:
    """The file's brackets outside strings, at C speed: escaped backslashes and quotes go first,
    then everything but quotes and brackets, then each quoted run."""
    data = data.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_STRUCTURE)
    return b"".join(data.split(b'"')[::2])  # every other run between quotes is outside a string


def check_shape(data: bytes, source: str, *, max_bytes: int, error: type[PanelError], toml: bool = False) -> None:
    """Refuse a file that is too large or nested too deeply, before a parser sees it."""
    if len(data) > max_bytes:
        raise error(f"{source}: file is too large ({len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB)")
    brackets = _TOML_STRING.sub(b"", data).translate(None, _NOT_BRACKETS) if toml else _json_brackets(data)
    # Each pass removes the innermost level; a file that is still not empty after MAX_DEPTH
    # passes is too deep (an unbalanced one stops shrinking and is left to the parser).
    for _ in range(MAX_DEPTH):
        if not brackets:
            return
        shorter = _EMPTY_PAIR.sub(b"", brackets)
        if shorter == brackets:
            return
        brackets = shorter
    if brackets and _EMPTY_PAIR.search(brackets):
        raise error(f"{source}: nested more than {MAX_DEPTH} levels deep; not a file panel-tui writes")


# --- Pydantic's errors as the project's ----------------------------------------------------------

M = TypeVar("M", bound=BaseModel)


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]{1,80}")


def place(loc: tuple[int | str, ...]) -> str:
    """('candidates', 3, 'ref') -> 'candidates[3].ref'."""
    out = ""
    for part in loc:
        if part == "[key]":
            continue
        if isinstance(part, int):
            out += f"[{part}]"
        elif not _PLAIN_KEY.fullmatch(part):
            out += f"[{part!r}]"  # a key from the file: repr keeps controls and newlines out of the line
        else:
            out += f".{part}" if out else part
    return out


_PATTERNS = {
    KEY_PATTERN: "must be lower-case letters, digits and hyphens (at most 80)",
    "^[1-6]$": "must be a level from 1 to 6",
}
_PHRASES = {
    "string_type": "must be text",
    "dict_type": "must be an object (a table)",
    "list_type": "must be a list",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "bool_type": "must be true or false",
    "finite_number": "must be a finite number",
    "model_type": "must be an object (a table)",
    "date_type": "must be a date",
    "datetime_type": "must be a date and time",
    "date_parsing": "must be a date, YYYY-MM-DD",
    "date_from_datetime_parsing": "must be a date, YYYY-MM-DD",
    "date_from_datetime_inexact": "must be a date, YYYY-MM-DD",
    "datetime_parsing": "must be an ISO 8601 date and time",
    "datetime_from_date_parsing": "must be an ISO 8601 date and time",
}


def problem(err: Any) -> str:
    """One Pydantic error detail as a short phrase: 'must be text (got 5)'."""
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind == "missing":
        return "missing"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind in _PHRASES:
        msg = _PHRASES[kind]
    elif kind == "string_pattern_mismatch":
        msg = _PATTERNS.get(ctx.get("pattern", ""), "is not in the expected form")
    elif kind == "too_short":
        msg = "must not be empty" if ctx.get("min_length") == 1 else f"must have at least {ctx.get('min_length')} entries"
    elif kind == "too_long":
        msg = f"must have at most {ctx.get('max_length')} entries"
    elif kind == "string_too_long":
        msg = f"must be at most {ctx.get('max_length')} characters"
    else:
        msg = err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ").replace("Input should be", "must be")
    if err["loc"] and err["loc"][-1] == "[key]":
        msg = f"key {msg}"
    value = err.get("input")
    if kind not in ("value_error", "assertion_error", "string_too_long") and (
        value is None or isinstance(value, (str, int, float, bool))
    ):
        shown = repr(value)
        msg += f" (got {shown[:40] + '…' if len(shown) > 40 else shown})"
    return " ".join(msg.split())


def refusal(exc: pydantic.ValidationError, source: str, what: str) -> str:
    """The one line for a spec refusal: the file, the first bad place, the problem, how many more."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    where = place(first["loc"])
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    return f"{source}: not a valid {what}: {where + ': ' if where else ''}{problem(first)}{more}"


def validate(model: type[M], data: Any, *, source: str, what: str, error: type[PanelError]) -> M:
    """``model`` validated from ``data``, or ``error`` with one line."""
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        raise error(refusal(exc, source, what)) from None
