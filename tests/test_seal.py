"""Sealed exchange primitives: age for confidentiality, Ed25519 for authorship."""

from __future__ import annotations

import pytest

from db import seal
from db.errors import ImportRefused

SECRET = b'{"candidate": "Alice Secretname", "notes": "Led the merger"}'


def test_a_pack_reveals_nothing_and_opens_only_with_its_passphrase():
    sealed = seal.seal_with_passphrase(SECRET, "correct horse battery")
    assert seal.is_sealed(sealed)
    assert b"Alice" not in sealed and b"merger" not in sealed
    assert seal.open_with_passphrase(sealed, "correct horse battery", "pack.age") == SECRET
    with pytest.raises(ImportRefused, match="pack.age: wrong passphrase"):
        seal.open_with_passphrase(sealed, "wrong", "pack.age")


def test_a_return_is_readable_only_by_the_campaign_identity_and_any_changed_byte_is_refused():
    chair = seal.CampaignKeys.generate()
    other = seal.CampaignKeys.generate()
    sealed = seal.seal_to(SECRET, chair.recipient)
    assert b"Alice" not in sealed
    assert seal.open_with_identity(sealed, chair.identity, "r.age") == SECRET
    with pytest.raises(ImportRefused, match="not sealed for this database"):
        seal.open_with_identity(sealed, other.identity, "r.age")
    for index in (len(seal.AGE_MAGIC) + 5, len(sealed) // 2, len(sealed) - 1):
        changed = bytearray(sealed)
        changed[index] ^= 0x01
        with pytest.raises(ImportRefused):
            seal.open_with_identity(bytes(changed), chair.identity, "r.age")


def test_only_the_named_member_s_key_makes_a_signature_the_chair_accepts():
    priya, omar = seal.SigningKey.generate(), seal.SigningKey.generate()
    signature = seal.sign(SECRET, priya.private)
    seal.verify(SECRET, signature, priya.public, "r.age")
    with pytest.raises(ImportRefused, match="not signed by the panel member"):
        seal.verify(SECRET, seal.sign(SECRET, omar.private), priya.public, "r.age")
    with pytest.raises(ImportRefused):
        seal.verify(SECRET.replace(b"Led", b"Lost"), signature, priya.public, "r.age")
    with pytest.raises(ImportRefused):
        seal.verify(SECRET, "not base64!", priya.public, "r.age")
