"""The exchange file envelope: the one place where exchange files become bytes and back.

Every pack and return is::

    {"format": "panel-tui/pack" | "panel-tui/return", "version": 1, "campaign": KEY,
     "created_at": ISO-8601, "content": {...}, "sha256": HEX}

``sha256`` is over the canonical JSON of ``content`` (sorted keys, no spaces,
UTF-8), so an edited or damaged file is refused. ``seal`` writes a file's
text and ``unseal`` reads one; nothing else in ``db.exchange`` touches the
file format, so encryption (age) and author signatures (Ed25519) slot in here
without changing the importers: ``seal`` will encrypt and sign, ``unseal``
will decrypt and verify before the checks below.

``unseal`` measures the file before parsing it (size, nesting depth) and
checks the envelope with a strict spec: the campaign key matches a safe
pattern and ``created_at`` is not in the future.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from db.errors import ImportRefused
from db.models import utcnow
from db.specs.base import Key, Spec, Stamp, check_shape, validate

FORMAT_PACK = "panel-tui/pack"
FORMAT_RETURN = "panel-tui/return"
VERSION = 1
FORMAT_NAMES = {FORMAT_PACK: "panel pack", FORMAT_RETURN: "return"}
# A return for 2,000 candidates x 6 items is about 9 MB; 10,000 candidates fit well inside.
MAX_FILE_BYTES = 64 * 1024 * 1024
_FORMAT_MARKER = re.compile(rb'"format"\s*:\s*"(panel-tui/[a-z-]{1,40})"')


class EnvelopeSpec(Spec):
    format: str
    version: int
    campaign: Key
    created_at: Stamp
    content: dict[str, Any]
    sha256: Annotated[str, Field(pattern=r"^[0-9a-fA-F]{64}$")]


@dataclass(frozen=True)
class Envelope:
    """An exchange file that passed the envelope checks (its content is not yet validated)."""

    format: str
    version: int
    campaign: str
    created_at: datetime
    content: dict[str, Any]


def canonical(content: Any) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def checksum(content: Any) -> str:
    return hashlib.sha256(canonical(content)).hexdigest()


def iso(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.isoformat()


def envelope(fmt: str, campaign_key: str, content: dict[str, Any]) -> dict[str, Any]:
    return {
        "format": fmt,
        "version": VERSION,
        "campaign": campaign_key,
        "created_at": iso(utcnow()),
        "content": content,
        "sha256": checksum(content),
    }


def dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def seal(fmt: str, campaign_key: str, content: dict[str, Any]) -> str:
    """The text of an exchange file holding ``content``."""
    return dumps(envelope(fmt, campaign_key, content))


def sniff_format(data: str | bytes) -> str | None:
    """The file's format marker, without parsing it (None if there is none)."""
    raw = data.encode() if isinstance(data, str) else data
    found = _FORMAT_MARKER.search(raw[:4096])
    return found.group(1).decode() if found else None


def unseal(data: str | bytes, source: str, expected: str) -> Envelope:
    """Check an exchange file's envelope; the Envelope, or ImportRefused with one line."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    not_ours = f"{source}: not a panel-tui file (truncated or not JSON)"
    check_shape(raw, source, max_bytes=MAX_FILE_BYTES, error=ImportRefused)
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ImportRefused(not_ours) from None
    fmt = doc.get("format") if isinstance(doc, dict) else None
    if not isinstance(fmt, str) or not fmt.startswith("panel-tui/"):
        raise ImportRefused(f"{source}: not a panel-tui file (no panel-tui format marker)")
    if fmt not in FORMAT_NAMES:
        raise ImportRefused(f"{source}: unknown kind of panel-tui file {fmt[:60]!r}; upgrade panel-tui to import it")
    if fmt != expected:
        raise ImportRefused(f"{source} is a {FORMAT_NAMES[fmt]}, not a {FORMAT_NAMES[expected]}")
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ImportRefused(f"{source}: not a panel-tui file (bad format version {str(version)[:20]!r})")
    if version > VERSION:
        raise ImportRefused(
            f"{source} was written by a newer panel-tui (format version {version}; this one reads {VERSION}); "
            "upgrade panel-tui to import it"
        )
    if not isinstance(doc.get("content"), dict) or not isinstance(doc.get("sha256"), str):
        raise ImportRefused(f"{source}: not a panel-tui file (no content or checksum)")
    if checksum(doc["content"]) != doc["sha256"].strip().lower():
        raise ImportRefused(f"{source}: checksum does not match: the file was edited or damaged")
    spec = validate(EnvelopeSpec, doc, source=source, what=FORMAT_NAMES[fmt], error=ImportRefused)
    return Envelope(spec.format, spec.version, spec.campaign, spec.created_at, doc["content"])


def write_exchange_file(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """Write atomically, readable by the owner only (packs and returns hold personal data)."""
    path = Path(path)
    raw = data.encode() if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_exchange_file(path: str | os.PathLike[str]) -> bytes:
    """A file's bytes, refusing one larger than any exchange file before reading it."""
    try:
        size = Path(path).stat().st_size
        if size > MAX_FILE_BYTES:
            raise ImportRefused(f"{path}: file is too large ({size / 1e6:.1f} MB; the limit is {MAX_FILE_BYTES / 1e6:.0f} MB)")
        return Path(path).read_bytes()
    except OSError as exc:
        raise ImportRefused(f"cannot read {path}: {exc.strerror}") from None
