"""The exchange file envelope: the one place where exchange files become bytes and back.

Two layers. The *plain* layer (``seal`` / ``unseal``) is the JSON envelope::

    {"format": "panel-tui/pack" | "panel-tui/return", "version": 1, "campaign": KEY,
     "created_at": ISO-8601, "content": {...}, "sha256": HEX, "keys"?: {...}, "amendments"?: [...]}

``sha256`` is over the canonical JSON of ``content`` (sorted keys, no spaces,
UTF-8): it catches damage, not forgery. The *sealed* layer is what is written
to disk (see docs/exchange-format.md):

* a pack is the plain envelope (with ``keys``: the member it is for, that
  member's Ed25519 signing key, the campaign's age recipient), age-encrypted with
  a passphrase (``lock_pack`` / ``open_pack``);
* a return is one header line ``{"campaign", "member", "signature"}`` and the
  plain envelope, age-encrypted to the campaign's X25519 recipient
  (``lock_return`` / ``open_return``); the Ed25519 signature covers the envelope's
  exact bytes, and ``check_author`` verifies it against the named member's keys.

Plain (unsealed) files are refused: anyone could have written one.

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

from db import seal as crypto
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


class PackKeys(Spec):
    """What a pack carries so its member can send a return: whose pack, their signing key, the recipient."""

    member: Annotated[str, Field(min_length=1, max_length=200)]
    signing_key: Annotated[str, Field(pattern=r"^[A-Za-z0-9+/=]{40,60}$")]
    public_key: Annotated[str, Field(pattern=r"^[A-Za-z0-9+/=]{40,60}$")]
    recipient: Annotated[str, Field(pattern=r"^age1[0-9a-z]{20,100}$")]


class EnvelopeSpec(Spec):
    format: str
    version: int
    campaign: Key
    created_at: Stamp
    content: dict[str, Any]
    sha256: Annotated[str, Field(pattern=r"^[0-9a-fA-F]{64}$")]
    keys: PackKeys | None = None  # packs only: inside the encryption
    amendments: list[dict[str, Any]] | None = None  # returns only: checked by db.exchange.returns




@dataclass(frozen=True)
class Envelope:
    """An exchange file that passed the envelope checks (its content is not yet validated)."""

    format: str
    version: int
    campaign: str
    created_at: datetime
    content: dict[str, Any]
    keys: PackKeys | None = None
    amendments: list[dict[str, Any]] | None = None


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


def envelope(fmt: str, campaign_key: str, content: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "format": fmt,
        "version": VERSION,
        "campaign": campaign_key,
        "created_at": iso(utcnow()),
        "content": content,
        "sha256": checksum(content),
        **{k: v for k, v in extra.items() if v is not None},
    }


def dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def seal(fmt: str, campaign_key: str, content: dict[str, Any], **extra: Any) -> str:
    """The plain envelope holding ``content`` (what ``lock_pack`` / ``lock_return`` encrypt)."""
    return dumps(envelope(fmt, campaign_key, content, **extra))


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
    return Envelope(
        spec.format, spec.version, spec.campaign, spec.created_at, doc["content"], spec.keys, doc.get("amendments")
    )


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


# --- the sealed layer: what is written to disk ------------------------------------------

# Signatures cover this prefix and the envelope's bytes, so a signature made for anything else never fits.
_SIGNED_AS = b"panel-tui/return signature v1\n"
_SEALED_FORMAT = {b"scrypt": FORMAT_PACK, b"X25519": FORMAT_RETURN}


class _ReturnHeader(Spec):
    campaign: Key
    member: Annotated[str, Field(min_length=1, max_length=200)]
    signature: Annotated[str, Field(pattern=r"^[A-Za-z0-9+/=]{80,100}$")]


@dataclass(frozen=True)
class SignedReturn:
    """An opened return: who it says it is from, and the bytes their signature must cover."""

    campaign: str
    member: str
    signature: str
    body: bytes  # the plain envelope, for ``unseal``


def sealed_format(data: bytes) -> str | None:
    """FORMAT_PACK or FORMAT_RETURN for a sealed file (from age's plain header), else None."""
    if not crypto.is_sealed(data):
        return None
    stanza = data[len(crypto.AGE_MAGIC) : len(crypto.AGE_MAGIC) + 40].split(b" ")
    return _SEALED_FORMAT.get(stanza[1]) if len(stanza) > 1 and stanza[0] == b"->" else None


def _refuse_plain(data: bytes, source: str, what: str) -> None:
    if len(data) > MAX_FILE_BYTES:
        raise ImportRefused(f"{source}: file is too large ({len(data) / 1e6:.1f} MB; the limit is {MAX_FILE_BYTES / 1e6:.0f} MB)")
    if not crypto.is_sealed(data):
        raise ImportRefused(
            f"{source}: not a sealed {what}; unsealed files are refused (anyone could have written one)"
        )


def lock_pack(plain: str, passphrase: str) -> bytes:
    return crypto.seal_with_passphrase(plain.encode(), passphrase)


def open_pack(data: bytes, passphrase: str, source: str) -> bytes:
    """The plain envelope inside a sealed pack; one line refusing a plain file, a wrong passphrase or a changed byte."""
    _refuse_plain(data, source, "panel pack")
    if sealed_format(data) != FORMAT_PACK:
        raise ImportRefused(f"{source} is a return, not a panel pack")
    return crypto.open_with_passphrase(data, passphrase, source)


def lock_return(plain: str, campaign_key: str, member: str, signing_key: str, recipient: str) -> bytes:
    """Sign the plain envelope as ``member`` and encrypt it to the campaign's recipient."""
    body = plain.encode()
    header = {"campaign": campaign_key, "member": member, "signature": crypto.sign(_SIGNED_AS + body, signing_key)}
    return crypto.seal_to(json.dumps(header, ensure_ascii=False).encode() + b"\n" + body, recipient)


def open_return(data: bytes, identities: list[str], source: str) -> SignedReturn:
    """Decrypt a sealed return with one of this database's campaign identities (the signature is not yet checked)."""
    _refuse_plain(data, source, "return")
    if sealed_format(data) == FORMAT_PACK:
        raise ImportRefused(f"{source} is a panel pack, not a return")
    plain = crypto.open_with_identities(data, identities, source)
    head, _, body = plain.partition(b"\n")
    try:
        header = _ReturnHeader.model_validate_json(head)
    except ValueError:
        raise ImportRefused(f"{source}: not a panel-tui return (no signature header)") from None
    return SignedReturn(header.campaign, header.member, header.signature, body)


def check_author(signed: SignedReturn, public_keys: list[str], source: str) -> None:
    """Refuse unless one of the named member's public keys made the signature."""
    for public in public_keys:
        try:
            crypto.verify(_SIGNED_AS + signed.body, signed.signature, public, source)
            return
        except ImportRefused:
            continue
    raise ImportRefused(f"{source}: not signed by the panel member it names; refused")


def file_format(path: str | os.PathLike[str]) -> str | None:
    """FORMAT_PACK or FORMAT_RETURN for a sealed file on disk (its first bytes only), else None."""
    try:
        with open(path, "rb") as fh:
            return sealed_format(fh.read(64))
    except OSError:
        return None
