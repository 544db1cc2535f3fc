"""Cases referred to partners: the referral, the partner's answer, what the person is told.

Referring moves the case to "referred" through the lifecycle (so the trail, the targets and the first
response hold) and texts the person, in their language, which partner has their case; never for a
confidential report (`lifecycle.may_text`), whose referral note and trail are sealed like all staff
writing about it (bot.cases.sealed). The partner answers sent → accepted or declined, accepted → done,
each with its date; a decline hands the case back to the desk, which may refer it again.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from bot.cases import lifecycle
from bot.cases.lifecycle import Desk, Refused, may_text, outbound_channel
from bot.cases.sealed import seal, unseal
from bot.models import Feedback, Partner, Referral, StaffUser, utcnow
from bot.notices import REFERRED
from bot.outbound.store import queue_message
from bot.vault import Vault
from bot.vocabulary import DONE, N_, CaseStatus, Lane, ReferralStatus

NOTE_MAX_CHARS = 1000
# The partner's answers, from each status.
ANSWERS: dict[ReferralStatus, tuple[ReferralStatus, ...]] = {
    ReferralStatus.SENT: (ReferralStatus.ACCEPTED, ReferralStatus.DECLINED),
    ReferralStatus.ACCEPTED: (ReferralStatus.DONE,),
    ReferralStatus.DECLINED: (),
    ReferralStatus.DONE: (),
}
# Still with the partner: the case is not referred again meanwhile.
OPEN = (ReferralStatus.SENT, ReferralStatus.ACCEPTED)
# Where the date of each answer is kept.
ANSWERED_AT = {
    ReferralStatus.ACCEPTED: "accepted_at",
    ReferralStatus.DECLINED: "declined_at",
    ReferralStatus.DONE: "done_at",
}
# Where a case goes back to when the partner declines it: the desk's work again.
DECLINED_TO = CaseStatus.IN_PROGRESS


@dataclass(frozen=True)
class Line:
    """One referral as the case page shows it, its note opened for the reader."""

    id: int
    partner: str
    status: str
    sent_at: datetime
    accepted_at: datetime | None
    declined_at: datetime | None
    done_at: datetime | None
    by: str | None
    note: str | None
    answers: tuple[ReferralStatus, ...]  # what the partner may still answer


def latest_referrals(db: Session, feedback_ids: list[int]) -> dict[int, Referral]:
    """Each case's latest referral, partner loaded: {case id: referral}, for lists and exports."""
    latest: dict[int, Referral] = {}
    if not feedback_ids:
        return latest
    rows = db.scalars(
        select(Referral)
        .where(Referral.feedback_id.in_(feedback_ids))
        .order_by(Referral.created_at, Referral.id)
        .options(selectinload(Referral.partner))
    )
    for referral in rows:
        latest[referral.feedback_id] = referral
    return latest


def referrals_of(db: Session, feedback: Feedback) -> list[Referral]:
    """The case's referrals, oldest first."""
    return list(
        db.scalars(
            select(Referral)
            .where(Referral.feedback_id == feedback.id)
            .order_by(Referral.created_at, Referral.id)
            .options(selectinload(Referral.partner))
        )
    )


def status_at(referral: Referral) -> datetime:
    """When the referral reached its current status."""
    field = ANSWERED_AT.get(referral.status)
    return (getattr(referral, field) if field else None) or referral.created_at


def note_of(referral: Referral, vault: Vault) -> str | None:
    return unseal(vault, referral.note, referral.note_encrypted)


def may_refer(feedback: Feedback, latest: Referral | None) -> bool:
    """A case still at the desk, and not with a partner already."""
    return (
        lifecycle.has_case_lifecycle(feedback)
        and feedback.status not in DONE
        and (latest is None or latest.status not in OPEN)
    )


def lines(db: Session, feedback: Feedback, vault: Vault) -> list[Line]:
    """The case's referrals for its page, oldest first (the caller has checked the reader may see the case)."""
    referrals = referrals_of(db, feedback)
    author_ids = sorted({referral.created_by_id for referral in referrals} - {None})
    authors = {user.id: user.email for user in db.scalars(select(StaffUser).where(StaffUser.id.in_(author_ids)))}
    return [
        Line(
            id=referral.id,
            partner=referral.partner.name,
            status=referral.status,
            sent_at=referral.created_at,
            accepted_at=referral.accepted_at,
            declined_at=referral.declined_at,
            done_at=referral.done_at,
            by=authors.get(referral.created_by_id),
            note=note_of(referral, vault),
            answers=ANSWERS.get(referral.status, ()) if referral is referrals[-1] else (),
        )
        for referral in referrals
    ]


def refer(
    db: Session, feedback: Feedback, actor: StaffUser, partner: Partner | None, note: str | None, *, desk: Desk
) -> list[tuple[int, str]]:
    """Refer the case to an active partner; returns the messages to send once committed (the person's text)."""
    if not lifecycle.has_case_lifecycle(feedback):
        raise Refused(lifecycle.SIGNUP_HAS_ITS_OWN_STATUSES)
    if partner is None or not partner.active:
        raise Refused(N_("Choose an active partner from the directory."))
    if feedback.status in DONE:
        raise Refused(N_("This case is resolved or closed: reopen it before referring it."))
    latest = latest_referrals(db, [feedback.id]).get(feedback.id)
    if latest is not None and latest.status in OPEN:
        raise Refused(
            N_("This case is already with %(partner)s: record their answer before referring it again."),
            {"partner": latest.partner.name},
        )
    note = (note or "").strip() or None
    if note is not None and len(note) > NOTE_MAX_CHARS:
        raise Refused(
            N_("A referral note is %(limit)s characters at most; this one has %(length)s."),
            {"limit": str(NOTE_MAX_CHARS), "length": str(len(note))},
        )
    sends: list[tuple[int, str]] = []
    if feedback.status != CaseStatus.REFERRED:
        sends += lifecycle.change_status(db, feedback, actor, CaseStatus.REFERRED, desk=desk)
    now = utcnow()
    referral = Referral(
        feedback_id=feedback.id,
        partner_id=partner.id,
        status=ReferralStatus.SENT,
        created_at=now,
        created_by_id=actor.id,
    )
    referral.partner = partner
    referral.note, referral.note_encrypted = seal(desk.vault, feedback, note)
    db.add(referral)
    db.flush()
    detail: dict = {"referral_id": referral.id, "partner_id": partner.id, "partner": partner.name}
    if may_text(feedback):
        lang = desk.language(feedback)
        text = desk.catalogues.fill(lang, REFERRED, {"reference": feedback.reference, "partner": partner.name})
        message_id = queue_message(db, feedback.contact_id, outbound_channel(feedback), desk.write(feedback, text)).id
        detail.update(message_id=message_id, language=lang)
        sends.append((message_id, Lane.REPLY))
    lifecycle.touch(feedback, now)
    lifecycle.record(db, desk, feedback, actor, "referred", detail, now)
    return sends


def answer(
    db: Session, feedback: Feedback, referral_id: int | None, actor: StaffUser, status: str, *, desk: Desk
) -> list[tuple[int, str]]:
    """Record the partner's answer to the case's latest referral, dated; a decline hands the case back to the desk."""
    referral = db.get(Referral, referral_id) if referral_id is not None else None
    if referral is None or referral.feedback_id != feedback.id:
        raise Refused(N_("No such referral on this case."))
    latest = latest_referrals(db, [feedback.id])[feedback.id]
    old = ReferralStatus(referral.status)
    if not ReferralStatus.has(status):
        raise Refused(N_("Unknown referral status “%(status)s”."), {"status": status[:40]})
    new = ReferralStatus(status)
    if referral.id != latest.id or new not in ANSWERS[old]:
        raise Refused(
            N_("A referral cannot go from “%(old)s” to “%(new)s”."),
            {"old": old.label, "new": new.label},
            ("old", "new"),
        )
    now = utcnow()
    # Compare and set: of two staff recording answers at once, one wins and the other is told.
    moved = db.execute(
        update(Referral)
        .where(Referral.id == referral.id, Referral.status == old)
        .values(status=new, **{ANSWERED_AT[new]: now})
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        raise Refused(N_("Someone else changed this case meanwhile: look at it again."))
    referral.status = new
    setattr(referral, ANSWERED_AT[new], now)
    sends: list[tuple[int, str]] = []
    if new == ReferralStatus.DECLINED and feedback.status == CaseStatus.REFERRED:
        sends += lifecycle.change_status(db, feedback, actor, DECLINED_TO, desk=desk)
    detail = {"referral_id": referral.id, "partner": referral.partner.name, "from": old.value, "to": new.value}
    lifecycle.touch(feedback, now)
    lifecycle.record(db, desk, feedback, actor, "referral_answered", detail, now)
    return sends
