"""Who may see what. Every list, count, export, API answer and page goes through here."""

from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session, selectinload

from bot.models import Feedback, Site, StaffUser
from bot.vocabulary import Callback, Role

# Roles that work at the triage desk at all.
DESK_ROLES = frozenset({Role.ADMIN, Role.TRIAGE, Role.PROTECTION})
# Roles that announce assemblies and broadcast.
ORGANIZER_ROLES = frozenset({Role.ADMIN, Role.ORGANIZER})
# Only these ever see a confidential report: not in lists, counts, search, exports or the API.
CONFIDENTIAL_ROLES = frozenset({Role.ADMIN, Role.PROTECTION})


def works_at_desk(user: StaffUser) -> bool:
    return user.role in DESK_ROLES


def organizes(user: StaffUser) -> bool:
    return user.role in ORGANIZER_ROLES


def reads_confidential(user: StaffUser) -> bool:
    return user.role in CONFIDENTIAL_ROLES


def _limited_to_sites(user: StaffUser) -> bool:
    return user.role == Role.TRIAGE and bool(user.sites)


def visible(query: Select, user: StaffUser) -> Select:
    """`query` over Feedback, narrowed to what `user` may see."""
    if not works_at_desk(user):
        return query.where(false())
    if not reads_confidential(user):
        query = query.where(Feedback.confidential.is_(False))
    if _limited_to_sites(user):
        query = query.where(Feedback.site_id.in_([site.id for site in user.sites]))
    return query


def may_see(user: StaffUser, feedback: Feedback) -> bool:
    if not works_at_desk(user):
        return False
    if feedback.confidential and not reads_confidential(user):
        return False
    return not (_limited_to_sites(user) and feedback.site_id not in {s.id for s in user.sites})


def may_reveal_phone(user: StaffUser, feedback: Feedback) -> bool:
    """Those who must call back: protection for confidential reports (it asked may we call), desk staff otherwise."""
    if not may_see(user, feedback):
        return False
    if feedback.confidential:
        return user.role == Role.PROTECTION and feedback.callback in (Callback.THIS_NUMBER, Callback.OTHER)
    return True


def sites_of(db: Session, user: StaffUser, active_only: bool = False) -> list[Site]:
    """The sites `user` works for, in menu order: all of them, unless a triage account is limited to some."""
    query = select(Site).order_by(Site.position, Site.name)
    if active_only:
        query = query.where(Site.active)
    sites = list(db.scalars(query))
    if _limited_to_sites(user):
        mine = {site.id for site in user.sites}
        sites = [site for site in sites if site.id in mine]
    return sites


def desk_staff(db: Session) -> list[StaffUser]:
    """The active accounts that work at the desk, by email: who a case may be assigned to or filtered by."""
    return list(
        db.scalars(
            select(StaffUser)
            .where(StaffUser.role.in_(sorted(DESK_ROLES)), StaffUser.active.is_(True))
            .order_by(StaffUser.email)
            .options(selectinload(StaffUser.sites))
        )
    )
