"""Duplicates: a case that repeats another (the same person writing twice, or two people reporting one thing).

A duplicate points to its original (`Feedback.duplicate_of_id`); both pages link to each other, each link
only for whoever may see the other case. It is closed with the original when the original is resolved or
closed (bot.cases.lifecycle), without a second closing text to the same person. Marking and unmarking are in
both cases' trails.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cases import lifecycle
from bot.cases.access import may_see, visible
from bot.cases.lifecycle import Desk, Refused
from bot.cases.queries import feedback_by_reference
from bot.models import Feedback, StaffUser, utcnow
from bot.vocabulary import DONE, N_

MARKED, UNMARKED = "marked_duplicate", "unmarked_duplicate"
# Written on the original's trail, so that its page tells what happened to it too.
GAINED, LOST = "duplicate_added", "duplicate_removed"
SHOWN = 20  # the duplicates listed on an original's page; many more would be a campaign, not duplicates


@dataclass(frozen=True)
class Link:
    """Another case, as a link: never its text."""

    reference: str
    kind: str
    status: str
    created_at: datetime

    @property
    def url(self) -> str:
        return f"/admin/cases/{self.reference}"


def _link(feedback: Feedback) -> Link:
    return Link(feedback.reference, feedback.kind, feedback.status, feedback.created_at)


def original_of(db: Session, user: StaffUser, feedback: Feedback) -> Link | None:
    """The case `feedback` repeats, if `user` may see it (else nothing: not even that there is one)."""
    if feedback.duplicate_of_id is None:
        return None
    original = db.get(Feedback, feedback.duplicate_of_id)
    return _link(original) if original is not None and may_see(user, original) else None


def duplicates_of(db: Session, user: StaffUser, feedback: Feedback) -> list[Link]:
    """The cases marked as repeating `feedback` that `user` may see, oldest first."""
    query = visible(select(Feedback).where(Feedback.duplicate_of_id == feedback.id), user)
    return [_link(found) for found in db.scalars(query.order_by(Feedback.created_at, Feedback.id).limit(SHOWN))]


def mark(db: Session, feedback: Feedback, actor: StaffUser, reference: str, desk: Desk) -> list[tuple[int, str]]:
    """Mark `feedback` as a duplicate of the case `reference`; closed at once if that one is already done."""
    if not lifecycle.has_case_lifecycle(feedback):
        raise Refused(lifecycle.SIGNUP_HAS_ITS_OWN_STATUSES)
    original = feedback_by_reference(db, actor, reference or "")
    if original is None:
        raise Refused(N_("No case “%(reference)s” that you may see."), {"reference": (reference or "")[:20]})
    if original.id == feedback.id:
        raise Refused(N_("A case cannot be a duplicate of itself."))
    if not lifecycle.has_case_lifecycle(original):
        raise Refused(N_("An assembly sign-up cannot be the original of a duplicate."))
    if original.confidential and not feedback.confidential:
        # Its trail and page would name the report to staff who may not know it exists.
        raise Refused(N_("A case others may read cannot repeat a confidential report: mark the report instead."))
    if feedback.duplicate_of_id == original.id:
        raise Refused(
            N_("This case is already marked as a duplicate of %(reference)s."), {"reference": original.reference}
        )
    if _leads_back(db, original, feedback.id):
        raise Refused(
            N_("%(reference)s is itself a duplicate of this case: mark that one instead."),
            {"reference": original.reference},
        )
    now = utcnow()
    before = db.get(Feedback, feedback.duplicate_of_id) if feedback.duplicate_of_id else None
    feedback.duplicate_of_id = original.id
    detail = {"of": original.reference, "was": before.reference if before else None}
    lifecycle.record(db, desk, feedback, actor, MARKED, detail, now)
    if _may_name(feedback, original):
        lifecycle.record(db, desk, original, actor, GAINED, {"duplicate": feedback.reference}, now)
    sends: list[tuple[int, str]] = []
    if original.status in DONE:
        sends += lifecycle.close_as_duplicate(db, feedback, original, actor, desk, now)
    lifecycle.touch(feedback, now)
    return sends


def unmark(db: Session, feedback: Feedback, actor: StaffUser, desk: Desk) -> str:
    """`feedback` is no duplicate after all; returns the reference it was said to repeat. It stays as it is."""
    if feedback.duplicate_of_id is None:
        raise Refused(N_("This case is not marked as a duplicate."))
    original = db.get(Feedback, feedback.duplicate_of_id)
    now = utcnow()
    feedback.duplicate_of_id = None
    lifecycle.record(db, desk, feedback, actor, UNMARKED, {"of": original.reference}, now)
    if _may_name(feedback, original):
        lifecycle.record(db, desk, original, actor, LOST, {"duplicate": feedback.reference}, now)
    lifecycle.touch(feedback, now)
    return original.reference


def _may_name(duplicate: Feedback, original: Feedback) -> bool:
    """Whether the original's trail may name its duplicate: never a confidential report on an ordinary case's."""
    return original.confidential or not duplicate.confidential


def _leads_back(db: Session, start: Feedback, target_id: int) -> bool:
    """Whether following `start`'s originals reaches `target_id` (marking would make a loop)."""
    seen: set[int] = set()
    current: int | None = start.duplicate_of_id
    while current is not None and current not in seen:
        if current == target_id:
            return True
        seen.add(current)
        current = db.scalar(select(Feedback.duplicate_of_id).where(Feedback.id == current))
    return False
