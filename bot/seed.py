"""Demo data for a new installation: the sites, an assembly per Bamako site, an admin account."""

import secrets
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.accounts import hash_password
from bot.models import Assembly, Site, StaffUser, utcnow

SITES = [
    ("niamana", "Niamana", "Bamako"),
    ("sogoniko", "Sogoniko", "Bamako"),
    ("senou", "Sénou", "Bamako"),
    ("mopti", "Mopti", "Mopti"),
    ("gao", "Gao", "Gao"),
]
ADMIN_EMAIL = "admin@baro.local"


def seed(db: Session, today: datetime | None = None) -> str | None:
    """Add what is missing; returns the new admin password, shown once, or None if the account existed."""
    seed_places(db, today or utcnow())
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


def ensure_admin(db: Session) -> str | None:
    if db.scalar(select(StaffUser.id).where(StaffUser.email == ADMIN_EMAIL)):
        return None
    password = secrets.token_urlsafe(12)
    db.add(StaffUser(email=ADMIN_EMAIL, role="admin", password_hash=hash_password(password)))
    return password
