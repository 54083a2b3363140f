"""Sealed exchange files: standard age encryption and Ed25519 signatures, nothing home-made.

- A **pack** (chair -> one panellist) is age-encrypted with a passphrase (age's
  scrypt recipient) that the chair gives the panellist by another route. Only
  someone holding that passphrase can read it, and age's authenticated encryption
  refuses any changed byte.
- A **return** (panellist -> chair) is signed with the panellist's own Ed25519
  key (the private half travels only inside that panellist's pack; the chair's
  database keeps the public half), then age-encrypted to the campaign's X25519
  recipient, whose identity only the chair's database holds. So a colleague
  holding another member's pack cannot sign in someone else's name, and nobody
  but the chair's database can read a return.

Any ``age`` tool can decrypt these files given the passphrase or identity, so a
security reviewer can check them with standard tools.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from db.errors import ImportRefused

AGE_MAGIC = b"age-encryption.org/v1\n"


def is_sealed(data: bytes) -> bool:
    return data.startswith(AGE_MAGIC)


# --- packs: passphrase ----------------------------------------------------------


def seal_with_passphrase(plaintext: bytes, passphrase: str) -> bytes:
    from pyrage import passphrase as age_passphrase

    if not passphrase:
        raise ImportRefused("a pack needs a passphrase")
    return age_passphrase.encrypt(plaintext, passphrase)


def open_with_passphrase(sealed: bytes, passphrase: str, source: str) -> bytes:
    import pyrage
    from pyrage import passphrase as age_passphrase

    try:
        return age_passphrase.decrypt(sealed, passphrase)
    except pyrage.DecryptError:
        raise ImportRefused(f"{source}: wrong passphrase, or the file was changed") from None


# --- returns: campaign identity (X25519) and member signatures (Ed25519) --------


@dataclass(frozen=True)
class CampaignKeys:
    """The chair database's age identity for one campaign (secret) and its recipient (public)."""

    identity: str  # AGE-SECRET-KEY-1...
    recipient: str  # age1...

    @classmethod
    def generate(cls) -> "CampaignKeys":
        from pyrage import x25519

        identity = x25519.Identity.generate()
        return cls(identity=str(identity), recipient=str(identity.to_public()))


def seal_to(plaintext: bytes, recipient: str) -> bytes:
    import pyrage
    from pyrage import x25519

    return pyrage.encrypt(plaintext, [x25519.Recipient.from_str(recipient)])


def seal_stream(reader, size: int, recipient: str) -> bytes:
    """``seal_to`` reading the plaintext (``size`` bytes) from a file-like ``reader``: no joined copy of it."""
    import io

    import pyrage
    from pyrage import x25519

    out = io.BytesIO()
    pyrage.encrypt_io(reader, out, [x25519.Recipient.from_str(recipient)])
    return out.getvalue()


def open_stream_with_identities(sealed: bytes, identities: list[str], source: str) -> memoryview:
    """``open_with_identities`` into one writable buffer (a memoryview of it), not a new bytes object."""
    import io

    import pyrage
    from pyrage import x25519

    if not identities:
        raise ImportRefused(f"{source}: this database holds no campaign keys to open a return with")
    out = io.BytesIO()
    try:
        pyrage.decrypt_io(io.BytesIO(sealed), out, [x25519.Identity.from_str(i) for i in identities])
    except (pyrage.DecryptError, OSError):  # the streaming API reports a bad file as an I/O error
        raise ImportRefused(f"{source}: not sealed for this database, or the file was changed") from None
    return out.getbuffer()


def open_with_identity(sealed: bytes, identity: str, source: str) -> bytes:
    import pyrage
    from pyrage import x25519

    try:
        return pyrage.decrypt(sealed, [x25519.Identity.from_str(identity)])
    except pyrage.DecryptError:
        raise ImportRefused(f"{source}: not sealed for this database, or the file was changed") from None


def open_with_identities(sealed: bytes, identities: list[str], source: str) -> bytes:
    """Decrypt with whichever of this database's campaign identities the file was sealed to."""
    import pyrage
    from pyrage import x25519

    if not identities:
        raise ImportRefused(f"{source}: this database holds no campaign keys to open a return with")
    try:
        return pyrage.decrypt(sealed, [x25519.Identity.from_str(i) for i in identities])
    except pyrage.DecryptError:
        raise ImportRefused(f"{source}: not sealed for this database, or the file was changed") from None


@dataclass(frozen=True)
class SigningKey:
    """One panel member's Ed25519 key pair, raw bytes as base64 text."""

    private: str
    public: str

    @classmethod
    def generate(cls) -> "SigningKey":
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

        key = Ed25519PrivateKey.generate()
        private = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return cls(private=_b64(private), public=_b64(public))


def sign(message: bytes, private: str) -> str:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return _b64(Ed25519PrivateKey.from_private_bytes(_unb64(private)).sign(message))


def verify(message: bytes, signature: str, public: str, source: str) -> None:
    """Refuse (one line) unless ``signature`` is ``public``'s signature of ``message``."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(_unb64(public)).verify(_unb64(signature), message)
    except (InvalidSignature, ValueError):
        raise ImportRefused(f"{source}: not signed by the panel member it names; refused") from None


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        raise ImportRefused("a key or signature is not valid base64") from None
