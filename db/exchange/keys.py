"""Where the keys for sealed packs and returns are kept (the ``ExchangeKey`` table).

On the chair's database (the one that created the campaign):

* ``campaign``: one age X25519 identity per campaign, made on first use. The
  identity (secret) never leaves this database; its recipient goes into every pack.
* ``member``: the public half of each Ed25519 key made for a pack. Every pack
  export makes a new key pair; the private half goes only into that pack. All of a
  member's public keys stay valid, so a panellist who has not yet loaded a newer
  pack can still send a return.

On a panellist's laptop (from the newest pack imported):

* ``recipient``: the campaign's age recipient (public), to seal returns to.
* ``signing``: the laptop's member's Ed25519 key pair, to sign returns.

The crypto itself is in ``db.seal`` and ``db.exchange.envelope``; this module only stores keys.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete
from sqlmodel import Session, col, select

from db.models import Campaign, ExchangeKey
from db.seal import CampaignKeys, SigningKey

CAMPAIGN, MEMBER, RECIPIENT, SIGNING = "campaign", "member", "recipient", "signing"


@dataclass(frozen=True)
class LaptopKeys:
    """What a laptop needs to send a return: whose key it is, the key, and where to seal it."""

    member_id: int
    signing: SigningKey
    recipient: str


def campaign_keys(session: Session, campaign_id: int) -> CampaignKeys:
    """The campaign's age identity on the chair's database, made (in the caller's transaction) on first use."""
    row = session.exec(
        select(ExchangeKey).where(ExchangeKey.campaign_id == campaign_id, ExchangeKey.kind == CAMPAIGN)
    ).first()
    if row is not None:
        return CampaignKeys(identity=row.secret, recipient=row.public)
    keys = CampaignKeys.generate()
    session.add(ExchangeKey(campaign_id=campaign_id, kind=CAMPAIGN, public=keys.recipient, secret=keys.identity))
    return keys


def new_member_key(session: Session, campaign_id: int, member_id: int) -> SigningKey:
    """A fresh key pair for a pack; only its public half is kept here."""
    key = SigningKey.generate()
    session.add(ExchangeKey(campaign_id=campaign_id, member_id=member_id, kind=MEMBER, public=key.public))
    return key


def campaign_identities(session: Session, campaign_key: str | None = None) -> list[str]:
    """The age identities this database holds (for one campaign, or all): what can open a return."""
    stmt = select(ExchangeKey.secret).where(ExchangeKey.kind == CAMPAIGN)
    if campaign_key is not None:
        stmt = stmt.join(Campaign, col(Campaign.id) == ExchangeKey.campaign_id).where(Campaign.key == campaign_key)
    return list(session.exec(stmt).all())


def member_public_keys(session: Session, campaign_id: int, member_id: int) -> list[str]:
    return list(
        session.exec(
            select(ExchangeKey.public).where(
                ExchangeKey.campaign_id == campaign_id, ExchangeKey.member_id == member_id, ExchangeKey.kind == MEMBER
            )
        ).all()
    )


def store_laptop_keys(session: Session, campaign_id: int, member_id: int, signing: SigningKey, recipient: str) -> None:
    """Keep the keys a pack brought (in the caller's transaction), replacing any from an earlier pack."""
    session.exec(  # type: ignore[call-overload]
        delete(ExchangeKey).where(
            col(ExchangeKey.campaign_id) == campaign_id, col(ExchangeKey.kind).in_((RECIPIENT, SIGNING))
        )
    )
    session.add(ExchangeKey(campaign_id=campaign_id, kind=RECIPIENT, public=recipient))
    session.add(
        ExchangeKey(campaign_id=campaign_id, member_id=member_id, kind=SIGNING, public=signing.public, secret=signing.private)
    )


def laptop_keys(session: Session, campaign_id: int) -> LaptopKeys | None:
    rows = {
        r.kind: r
        for r in session.exec(
            select(ExchangeKey).where(
                ExchangeKey.campaign_id == campaign_id, col(ExchangeKey.kind).in_((RECIPIENT, SIGNING))
            )
        ).all()
    }
    if SIGNING not in rows or RECIPIENT not in rows or rows[SIGNING].member_id is None:
        return None
    s = rows[SIGNING]
    return LaptopKeys(s.member_id, SigningKey(private=s.secret, public=s.public), rows[RECIPIENT].public)  # type: ignore[arg-type]

