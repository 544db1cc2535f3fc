"""The partner directory: the organisations cases are referred to, what they act on, where, and whom to contact.

Admins keep it (bot/admin/partners.py); the desk chooses from its active partners when it refers a case
(bot.cases.referrals), those serving the case's category and site first. A partner is deactivated, never
deleted: earlier referrals keep naming it.
"""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from bot.cases.lifecycle import Refused
from bot.models import Feedback, Partner, Site
from bot.vocabulary import N_, Category

NAME_MAX_CHARS = 120  # the column's size
CONTACT_MAX_CHARS = 500


@dataclass(frozen=True)
class Choice:
    """An active partner offered for a case; `suggested` when it serves the case's category at its site."""

    partner: Partner
    suggested: bool


def directory(db: Session) -> list[Partner]:
    """Every partner, the active ones first, by name."""
    return list(
        db.scalars(select(Partner).order_by(Partner.active.desc(), Partner.name).options(selectinload(Partner.sites)))
    )


def save(
    db: Session, partner: Partner | None, *, name: str, services: list[str], sites: list[str], contact: str
) -> Partner:
    """Add a partner (`partner` None) or change one; `services` are Category codes, `sites` site slugs (none: all)."""
    name, contact = " ".join((name or "").split()), (contact or "").strip()
    if not name:
        raise Refused(N_("Give the organisation's name."))
    if len(name) > NAME_MAX_CHARS:
        raise Refused(N_("The name is %(limit)s characters at most."), {"limit": str(NAME_MAX_CHARS)})
    if len(contact) > CONTACT_MAX_CHARS:
        raise Refused(N_("The contact is %(limit)s characters at most."), {"limit": str(CONTACT_MAX_CHARS)})
    wanted = set(services)
    unknown = sorted(code for code in wanted if not Category.has(code))
    if unknown:
        raise Refused(N_("Unknown service “%(service)s”."), {"service": unknown[0][:40]})
    if not wanted:
        raise Refused(N_("Choose at least one service the partner offers."))
    found = list(db.scalars(select(Site).where(Site.slug.in_(set(sites))).order_by(Site.position, Site.name)))
    if len(found) != len(set(sites)):
        raise Refused(N_("Unknown site."))
    # Names are told to people by text message: two partners spelt alike would be told apart by nobody.
    same_name = select(Partner.id).where(func.lower(Partner.name) == name.lower())
    if partner is not None:
        same_name = same_name.where(Partner.id != partner.id)
    if db.scalar(same_name) is not None:
        raise Refused(N_("A partner named “%(name)s” is already in the directory."), {"name": name})
    if partner is None:
        partner = Partner(active=True)
        db.add(partner)
    partner.name, partner.contact = name, contact
    partner.services = [code.value for code in Category if code in wanted]  # in the vocabulary's order
    partner.sites = found
    db.flush()
    return partner


def set_active(partner: Partner, active: bool) -> bool:
    """Offer the partner for new referrals again, or no longer; False if it already was so."""
    if partner.active == active:
        return False
    partner.active = active
    return True


def serves(partner: Partner, feedback: Feedback) -> bool:
    """Whether the partner acts on the case's category at the case's site (a partner with no sites: everywhere)."""
    at_site = not partner.sites or feedback.site_id in {site.id for site in partner.sites}
    return feedback.category in (partner.services or []) and at_site


def choices(db: Session, feedback: Feedback) -> list[Choice]:
    """The active partners to refer `feedback` to: those serving its category and site first, then the others."""
    active = db.scalars(
        select(Partner).where(Partner.active.is_(True)).order_by(Partner.name).options(selectinload(Partner.sites))
    )
    offered = [Choice(partner, serves(partner, feedback)) for partner in active]
    return sorted(offered, key=lambda choice: not choice.suggested)  # stable: by name within each group
