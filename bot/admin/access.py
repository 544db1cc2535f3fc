"""Who may see what. Every list, count, export, API answer and page goes through here."""

from sqlalchemy import Select, false

from bot.models import Feedback, StaffUser

# Roles that see the triage queue at all.
DESK_ROLES = frozenset({"admin", "triage", "protection"})
# Only these ever see a confidential report: not in lists, counts, search, exports or the API.
CONFIDENTIAL_ROLES = frozenset({"admin", "protection"})


def visible(query: Select, user: StaffUser) -> Select:
    """`query` over Feedback, narrowed to what `user` may see."""
    if user.role not in DESK_ROLES:
        return query.where(false())
    if user.role not in CONFIDENTIAL_ROLES:
        query = query.where(Feedback.confidential.is_(False))
    if user.role == "triage" and user.sites:
        query = query.where(Feedback.site_id.in_([site.id for site in user.sites]))
    return query


def may_see(user: StaffUser, feedback: Feedback) -> bool:
    if user.role not in DESK_ROLES:
        return False
    if feedback.confidential and user.role not in CONFIDENTIAL_ROLES:
        return False
    return not (user.role == "triage" and user.sites and feedback.site_id not in {s.id for s in user.sites})


def may_reveal_phone(user: StaffUser, feedback: Feedback) -> bool:
    """Those who must call back: protection for confidential reports (it asked may we call), desk staff otherwise."""
    if not may_see(user, feedback):
        return False
    if feedback.confidential:
        return user.role == "protection" and feedback.callback in ("this_number", "other")
    return True


def mask_phone(e164: str) -> str:
    """`+223 •• •• •• 41`: enough to tell two people apart on screen, not to call them."""
    if not e164.startswith("+") or len(e164) < 6:
        return "••••"
    country = "+223" if e164.startswith("+223") else e164[:3]
    return f"{country} •• •• •• {e164[-2:]}"
