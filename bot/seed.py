"""Demo data for a new installation: the sites, an assembly per Bamako site, canned replies, an admin account."""

import secrets
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.accounts import hash_password
from bot.models import Assembly, CannedReply, Partner, Site, StaffUser, utcnow
from bot.vocabulary import Category, Role

SITES = [
    ("niamana", "Niamana", "Bamako"),
    ("sogoniko", "Sogoniko", "Bamako"),
    ("senou", "Sénou", "Bamako"),
    ("mopti", "Mopti", "Mopti"),
    ("gao", "Gao", "Gao"),
]
ADMIN_EMAIL = "admin@baro.local"
# Replies staff start from and edit before sending, in each language of the line. The Bambara is in
# its own letters (ɛ ɔ ɲ ŋ); on an SMS line set to `gsm` it is folded to the older spelling when sent.
CANNED_REPLIES = [
    (
        "We received your message and are looking into it",
        {
            "fr": "Nous avons bien reçu votre message et nous nous en occupons.",
            "bm": "An ye i ka cikan sɔrɔ. An bɛ ka a lajɛ, an ŋaniya ye ka i dɛmɛ joona.",
        },
    ),
    (
        "Your case was passed to a partner organisation",
        {
            "fr": "Votre dossier a été transmis à une organisation partenaire qui peut vous aider.",
            "bm": "I ka ko dira an jɛɲɔgɔn tɔn dɔ ma, min bɛ se ka i dɛmɛ.",
        },
    ),
    (
        "Please come to the site office on ...",
        {
            "fr": "Merci de passer au bureau du site le ... à ... heures.",
            "bm": "Aw ye na sigiyɔrɔ biro la ... don, lɛrɛ ... waati la.",
        },
    ),
]


def seed(db: Session, today: datetime | None = None) -> str | None:
    """Add what is missing; returns the new admin password, shown once, or None if the account existed."""
    seed_places(db, today or utcnow())
    seed_canned_replies(db)
    seed_partners(db)
    return ensure_admin(db)


def seed_places(db: Session, today: datetime) -> None:
    """The demo sites, and one upcoming assembly per Bamako site."""
    for position, (slug, name, region) in enumerate(SITES):
        site = db.scalar(select(Site).where(Site.slug == slug))
        if site is None:
            site = Site(slug=slug, name=name, region=region, position=position)
            db.add(site)
            db.flush()
        if region == "Bamako" and not db.scalar(select(Assembly.id).where(Assembly.site_id == site.id)):
            # Bamako is on UTC all year; assemblies are at 10:00 local time, a week apart per site.
            day = (today + timedelta(days=7 + 3 * position)).date()
            db.add(
                Assembly(
                    site=site,
                    title=f"Assemblée citoyenne de {name}",
                    place=f"Espace communautaire de {name}",
                    starts_at=datetime.combine(day, time(10, 0), tzinfo=today.tzinfo),
                    capacity=60,
                )
            )


def seed_canned_replies(db: Session) -> None:
    """The demo canned replies, each added once (by title); one staff have edited is left alone."""
    existing = set(db.scalars(select(CannedReply.title)))
    for title, texts in CANNED_REPLIES:
        if title not in existing:
            db.add(CannedReply(title=title, texts=texts))


# Demo partners to refer cases to (invented organisations and contacts): name, services, sites (none: every site).
PARTNERS = [
    (
        "Association Santé Sahel",
        [Category.HEALTH],
        ["niamana", "sogoniko", "senou"],
        "Dr Kadiatou Traoré · +223 20 00 00 01 · sante-sahel@example.org",
    ),
    (
        "Eau Propre Mali (WASH)",
        [Category.SHELTER, Category.WATER_SANITATION],
        ["niamana", "sogoniko", "senou", "mopti"],
        "Moussa Coulibaly · +223 20 00 00 02 · eau-propre@example.org",
    ),
    (
        "Clinique juridique Hakili",
        [Category.SECURITY, Category.DOCUMENTS],
        [],
        "Maître Aminata Diarra · +223 20 00 00 03 · hakili@example.org",
    ),
    (
        "Musow Lakana (protection et VBG)",
        [Category.VIOLENCE, Category.ABUSE_EXPLOITATION, Category.THREAT],
        [],
        "Point focal : Fatoumata Keïta · +223 20 00 00 04 · musow-lakana@example.org",
    ),
]


def seed_partners(db: Session) -> None:
    """The demo partners, each added once (by name); one admins have edited is left alone."""
    existing = set(db.scalars(select(Partner.name)))
    for name, services, slugs, contact in PARTNERS:
        if name not in existing:
            sites = list(db.scalars(select(Site).where(Site.slug.in_(slugs)))) if slugs else []
            db.add(Partner(name=name, services=[str(code) for code in services], sites=sites, contact=contact))


def ensure_admin(db: Session) -> str | None:
    if db.scalar(select(StaffUser.id).where(StaffUser.email == ADMIN_EMAIL)):
        return None
    password = secrets.token_urlsafe(12)
    db.add(StaffUser(email=ADMIN_EMAIL, role=Role.ADMIN, password_hash=hash_password(password)))
    return password
