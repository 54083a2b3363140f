"""The exchange file envelope: the one place where exchange files become bytes and back.

Two layers. The *plain* layer (``seal`` / ``unseal``) is the JSON envelope::

    {"format": "panel-tui/pack" | "panel-tui/return", "version": 1 (packs) | 2 (returns), "campaign": KEY,
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
import io
import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
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
VERSION = 1  # packs' format version
RETURN_VERSION = 2  # returns': 2 writes each tag as an array (db.specs.exchange.TagRow); 1 is still read
_WRITTEN = {FORMAT_PACK: VERSION, FORMAT_RETURN: RETURN_VERSION}  # each format's version: written, and newest read
FORMAT_NAMES = {FORMAT_PACK: "panel pack", FORMAT_RETURN: "return"}
# A return for 2,000 candidates x 6 items is about 7 MB; 20,000 candidates (~70 MB) fit well inside.
MAX_FILE_BYTES = 256 * 1024 * 1024
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
        "version": _WRITTEN.get(fmt, VERSION),
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


# --- the streamed layout: a big list one entry per line ------------------------------------
#
# A return for 20,000 candidates is ~70 MB: building it as one document (and parsing it as one)
# took ~900 MB. The streamed layout is the same JSON envelope, laid out so that it can be
# written and read one list entry at a time:
#
#     {"format":...,"version":2,"campaign":...,"created_at":...,["amendments":[...],]"content":{"assessments":[
#     {canonical JSON of entry 1},
#     {canonical JSON of entry 2}
#     ],"member":...},"sha256":"..."}
#
# Canonical JSON holds no raw newline, so each line is one entry. ``sha256`` is the usual
# checksum of the canonical content, computed from the entries' own bytes on both sides.

_LIST_OPEN = b'"content":{"%s":['


def _canon_bytes(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def seal_streamed(
    fmt: str, campaign_key: str, list_key: str, entries: Iterable[Any], rest: dict[str, Any], *,
    prefix: bytes = b"", **extra: Any,
) -> tuple[bytearray, int]:
    """The plain envelope in the streamed layout, after ``prefix`` in one buffer; and how many entries.
    An entry given as a str is taken to be its canonical JSON already.

    ``content`` is ``{list_key: [entries...], **rest}``; every key of ``rest`` sorts after ``list_key``
    (so the canonical content, and its checksum, can be written in order)."""
    if any(k <= list_key for k in rest):
        raise ValueError("the streamed list's key must sort first in the content")
    key = list_key.encode()
    head = {"format": fmt, "version": _WRITTEN.get(fmt, VERSION), "campaign": campaign_key, "created_at": iso(utcnow()),
            **{k: v for k, v in extra.items() if v is not None}}
    out = bytearray(prefix)
    out += _canon_bytes(head)[:-1] + b"," + _LIST_OPEN % key + b"\n"
    digest = hashlib.sha256(b'{"' + key + b'":[')
    n = 0
    for entry in entries:
        line = entry.encode() if isinstance(entry, str) else _canon_bytes(entry)  # a str: already its canonical JSON
        if n:
            out += b",\n"
            digest.update(b",")
        out += line
        digest.update(line)
        n += 1
    tail = b"]" + b"".join(b"," + _canon_bytes(k) + b":" + _canon_bytes(v) for k, v in sorted(rest.items())) + b"}"
    digest.update(tail)
    out += (b"\n" if n else b"") + tail + b',"sha256":"' + digest.hexdigest().encode() + b'"}\n'
    return out, n


class StreamedContent:
    """A plain envelope in the streamed layout, read one list entry at a time.

    ``envelope`` passed the checks ``unseal`` makes, but its content's list is empty there;
    ``entries()`` yields the list's entries, parsed, and then checks the checksum: a caller
    writes nothing before the iteration has finished."""

    def __init__(self, body: memoryview, span: tuple[int, int], envelope: Envelope, list_key: str,
                 sha256: str, source: str) -> None:
        self._body, self._span, self.envelope = body, span, envelope
        self._list_key, self._sha256, self._source = list_key, sha256, source

    def entries(self) -> Iterator[Any]:
        """The list's entries, parsed (``lines`` checks the checksum once they have run out)."""
        for line in self.lines():
            try:
                yield json.loads(line.decode("utf-8"))
            except (UnicodeDecodeError, ValueError, RecursionError):
                raise ImportRefused(f"{self._source}: not a panel-tui file (truncated or not JSON)") from None

    def lines(self) -> Iterator[bytes]:
        """Each entry's JSON text, as the file holds it; then the checksum is checked."""
        body, source = self._body, self._source
        pos, end = self._span
        rest = {k: v for k, v in self.envelope.content.items() if k != self._list_key}
        digest = hashlib.sha256(b'{"' + self._list_key.encode() + b'":[')
        first = True
        while pos < end:
            stop = _find(body, b"\n", pos, end)
            line = bytes(body[pos:stop])
            pos = stop + 1
            if pos < end:  # every entry but the last ends with the list's comma
                if not line.endswith(b","):
                    raise ImportRefused(f"{source}: not a panel-tui file (truncated or not JSON)")
                line = line[:-1]
            if not first:
                digest.update(b",")
            first = False
            digest.update(line)
            yield line
        digest.update(b"]" + b"".join(b"," + _canon_bytes(k) + b":" + _canon_bytes(v) for k, v in sorted(rest.items())) + b"}")
        if digest.hexdigest() != self._sha256:
            raise ImportRefused(f"{source}: checksum does not match: the file was edited or damaged")


_NEWLINE = re.compile(b"\n")


def _find(body: memoryview, what: bytes, start: int, end: int) -> int:
    """Index of a newline in body[start:end] (end if none): searched in place, no copy."""
    assert what == b"\n"
    found = _NEWLINE.search(body, start, end)
    return found.start() if found else end


def unseal_streamed(body: memoryview, source: str, expected: str, list_key: str) -> StreamedContent | None:
    """A plain envelope in the streamed layout, checked as ``unseal`` checks a file but for its
    list's entries and checksum (see StreamedContent); None for a file in another layout."""
    if len(body) > MAX_FILE_BYTES:
        raise ImportRefused(f"{source}: file is too large ({len(body) / 1e6:.1f} MB; the limit is {MAX_FILE_BYTES / 1e6:.0f} MB)")
    end = len(body)
    first_nl = _find(body, b"\n", 0, min(end, 1 << 20))
    if first_nl >= end or not bytes(body[:first_nl]).endswith(b"," + _LIST_OPEN % list_key.encode()):
        return None
    while end > first_nl and body[end - 1] in b"\n\r ":
        end -= 1
    window = max(first_nl, end - (1 << 20))
    last_nl = bytes(body[window:end]).rfind(b"\n")
    if last_nl < 0:
        return None
    last_nl += window
    tail = bytes(body[last_nl + 1 : end])
    if not tail.startswith(b"]"):
        return None
    skeleton = bytes(body[:first_nl]) + tail
    check_shape(skeleton, source, max_bytes=MAX_FILE_BYTES, error=ImportRefused)
    doc = _parse(skeleton, source)
    sha = doc.get("sha256") if isinstance(doc, dict) else None
    content = doc.get("content") if isinstance(doc, dict) else None
    if not isinstance(content, dict) or content.get(list_key) != [] or any(k <= list_key for k in content if k != list_key):
        raise ImportRefused(f"{source}: not a panel-tui file (no content or checksum)")
    env = _checked(doc, source, expected, check_sum=False)
    return StreamedContent(body, (first_nl + 1, last_nl), env, list_key, str(sha).strip().lower(), source)


def sniff_format(data: str | bytes) -> str | None:
    """The file's format marker, without parsing it (None if there is none)."""
    raw = data.encode() if isinstance(data, str) else data
    found = _FORMAT_MARKER.search(raw[:4096])
    return found.group(1).decode() if found else None


def unseal(data: str | bytes, source: str, expected: str) -> Envelope:
    """Check an exchange file's envelope; the Envelope, or ImportRefused with one line."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    check_shape(raw, source, max_bytes=MAX_FILE_BYTES, error=ImportRefused)
    return _checked(_parse(raw, source), source, expected)


def _parse(raw: bytes, source: str) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ImportRefused(f"{source}: not a panel-tui file (truncated or not JSON)") from None


def _checked(doc: Any, source: str, expected: str, *, check_sum: bool = True) -> Envelope:
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
    if version > _WRITTEN[fmt]:
        raise ImportRefused(
            f"{source} was written by a newer panel-tui (format version {version}; this one reads {_WRITTEN[fmt]}); "
            "upgrade panel-tui to import it"
        )
    if not isinstance(doc.get("content"), dict) or not isinstance(doc.get("sha256"), str):
        raise ImportRefused(f"{source}: not a panel-tui file (no content or checksum)")
    if check_sum and checksum(doc["content"]) != doc["sha256"].strip().lower():
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
    signed: memoryview  # _SIGNED_AS and the plain envelope: what the signature covers (no copy of the body)

    @property
    def view(self) -> memoryview:
        """The plain envelope (for ``unseal_streamed``)."""
        return self.signed[len(_SIGNED_AS):]

    @property
    def body(self) -> bytes:
        """The plain envelope as bytes (for ``unseal``: a copy)."""
        return bytes(self.view)


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
    return lock_signed(bytearray(_SIGNED_AS + plain.encode()), campaign_key, member, signing_key, recipient)


def lock_signed(buf: bytearray, campaign_key: str, member: str, signing_key: str, recipient: str) -> bytes:
    """``lock_return`` for a plain envelope already in ``buf`` after SIGNED_AS (see seal_streamed):
    signed and encrypted from that one buffer, with no copy of the envelope."""
    if not buf.startswith(_SIGNED_AS):
        raise ValueError("the buffer must start with SIGNED_AS")
    view = memoryview(buf)
    header = {"campaign": campaign_key, "member": member, "signature": crypto.sign(view, signing_key)}
    head = json.dumps(header, ensure_ascii=False).encode() + b"\n"
    return crypto.seal_stream(_Chain(head, view[len(_SIGNED_AS):]), len(head) + len(view) - len(_SIGNED_AS), recipient)


SIGNED_AS = _SIGNED_AS


class _Chain(io.RawIOBase):
    """Reads two byte sequences as one stream (age encrypts it without a joined copy)."""

    def __init__(self, *parts: bytes | memoryview) -> None:
        self._parts = [memoryview(p) for p in parts]

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while self._parts and not len(self._parts[0]):
            self._parts.pop(0)
        if not self._parts:
            return 0
        part = self._parts[0]
        n = min(len(b), len(part))
        b[:n] = part[:n]
        self._parts[0] = part[n:]
        return n


def open_return(data: bytes, identities: list[str], source: str) -> SignedReturn:
    """Decrypt a sealed return with one of this database's campaign identities (the signature is not yet checked).

    The plain text is decrypted into one buffer; the signed bytes are a view of it (SIGNED_AS is
    written over the end of the header line once that is read), so a 70 MB return is held once."""
    _refuse_plain(data, source, "return")
    if sealed_format(data) == FORMAT_PACK:
        raise ImportRefused(f"{source} is a panel pack, not a return")
    plain = crypto.open_stream_with_identities(data, identities, source)
    nl = bytes(plain[:4096]).find(b"\n")
    try:
        if nl < len(_SIGNED_AS):
            raise ValueError("no header line")
        header = _ReturnHeader.model_validate_json(bytes(plain[:nl]))
    except ValueError:
        raise ImportRefused(f"{source}: not a panel-tui return (no signature header)") from None
    start = nl + 1 - len(_SIGNED_AS)  # the header (with its 88-character signature) is longer than SIGNED_AS
    plain[start : nl + 1] = _SIGNED_AS
    return SignedReturn(header.campaign, header.member, header.signature, plain[start:])


def check_author(signed: SignedReturn, public_keys: list[str], source: str) -> None:
    """Refuse unless one of the named member's public keys made the signature."""
    for public in public_keys:
        try:
            crypto.verify(signed.signed, signed.signature, public, source)
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
