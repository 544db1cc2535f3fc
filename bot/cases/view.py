"""One case as its page shows it: what came in, the conversation, notes, the trail, who may take it.

Everything here has been through the access rules: a message of a confidential conversation is
left out for whoever may not read confidential reports (not even that one took place), and the
texts of confidential reports are decrypted only for those who may.
"""

from dataclasses import dataclass
from datetime import datetime

from cryptography.fernet import InvalidToken
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from bot.cases import lifecycle
from bot.cases.access import desk_staff, may_reveal_phone, may_see, reads_confidential, sites_of
from bot.cases.sealed import outcome_of, tags_of, unseal
from bot.models import CannedReply, CaseEvent, CaseNote, Feedback, Message, Site, StaffUser
from bot.vault import Vault
from bot.vocabulary import Direction, MessageStatus

CONVERSATION_SHOWN = 200  # the most recent messages of the person, oldest first


@dataclass(frozen=True)
class Line:
    """One message of the person's conversation."""

    incoming: bool
    created_at: datetime
    channel: str
    text: str
    redacted: bool
    media: int
    this_case: bool  # the message that opened this case
    by: str | None  # the staff member who sent it, for staff replies and closing messages
    status: str | None  # an outgoing message's status
    unreachable: bool  # the person opted out or refused consent: it will never go out
    error: str | None


@dataclass(frozen=True)
class Conversation:
    lines: list[Line]
    more: bool  # older messages were left out


@dataclass(frozen=True)
class Confidential:
    """What only protection staff and admins read of a confidential report."""

    text: str | None
    callback: str | None
    callback_details: str | None


@dataclass(frozen=True)
class Note:
    author: str
    created_at: datetime
    text: str


@dataclass(frozen=True)
class Event:
    """One line of the trail, its detail opened for the reader."""

    actor: str | None
    created_at: datetime
    action: str
    detail: dict


@dataclass(frozen=True)
class CaseView:
    feedback: Feedback
    # What staff wrote about it, opened for the reader (sealed at rest for a confidential report).
    tags: list[str]
    outcome: str | None
    phone: str | None  # in clear: the page masks it, and shows it whole only on a reveal
    may_reveal: bool
    confidential: Confidential | None
    steps: tuple[str, ...]
    assignees: list[StaffUser]
    sites: list[Site]
    conversation: Conversation
    notes: list[Note]
    events: list[Event]
    site_names: dict[str, str]
    canned_replies: list[CannedReply]


def decrypted(vault: Vault, token: str | None) -> str | None:
    if not token:
        return None
    try:
        return vault.decrypt(token)
    except InvalidToken:
        return None


def _staff_texts(db: Session, feedback_ids: list[int]) -> dict[int, tuple[int, str]]:
    """The texts staff sent about these cases: {message id: (case id, who sent it)}."""
    rows = db.execute(
        select(CaseEvent.feedback_id, CaseEvent.detail, StaffUser.email)
        .join(StaffUser, StaffUser.id == CaseEvent.actor_id)
        .where(CaseEvent.feedback_id.in_(feedback_ids), CaseEvent.action.in_(("replied", "status_changed")))
    )
    return {
        detail["message_id"]: (case_id, email) for case_id, detail, email in rows if (detail or {}).get("message_id")
    }


def conversation(db: Session, user: StaffUser, feedback: Feedback, vault: Vault) -> Conversation:
    """The person's messages, through the same access rules as the inbox.

    A message that belongs to another case of theirs (the one that made it, the answer to it, a
    staff text about it) is shown only if `user` may see that case; a confidential conversation
    is not shown at all to whoever may not read confidential reports (not even that it took place).
    """
    contact = feedback.contact
    theirs = list(db.scalars(select(Feedback).where(Feedback.contact_id == contact.id)))
    staff_texts = _staff_texts(db, [case.id for case in theirs])
    hidden_cases = {case.id for case in theirs if not may_see(user, case)}
    hidden = {case.message_id for case in theirs if case.id in hidden_cases and case.message_id}
    hidden |= {message_id for message_id, (case_id, _) in staff_texts.items() if case_id in hidden_cases}
    query = select(Message).where(Message.contact_id == contact.id)
    if hidden:
        query = query.where(
            Message.id.not_in(hidden), or_(Message.in_reply_to_id.is_(None), Message.in_reply_to_id.not_in(hidden))
        )
    if not reads_confidential(user):
        query = query.where(Message.confidential.is_(False))
    recent = list(
        db.scalars(query.order_by(Message.created_at.desc(), Message.id.desc()).limit(CONVERSATION_SHOWN + 1))
    )
    more = len(recent) > CONVERSATION_SHOWN
    staff_sent = {message_id: email for message_id, (_, email) in staff_texts.items()}
    unreachable = contact.opted_out_at is not None or contact.phone_encrypted is None
    lines = [
        Line(
            incoming=message.direction == Direction.IN,
            created_at=message.created_at,
            channel=message.channel,
            text=(decrypted(vault, message.text_encrypted) if message.confidential else message.text) or "",
            redacted=message.redacted,
            media=len(message.media or []),
            this_case=message.id == feedback.message_id,
            by=staff_sent.get(message.id),
            status=message.status if message.direction == Direction.OUT else None,
            unreachable=unreachable
            and message.direction == Direction.OUT
            and MessageStatus.has(message.status)
            and MessageStatus(message.status).unsent,
            error=message.error_code,
        )
        for message in reversed(recent[:CONVERSATION_SHOWN])
    ]
    return Conversation(lines, more)


def case_view(db: Session, user: StaffUser, feedback: Feedback, vault: Vault) -> CaseView:
    """Everything the case page shows of `feedback`, which `user` may see."""
    contact = feedback.contact
    number = decrypted(vault, contact.phone_encrypted)
    confidential = None
    if feedback.confidential and reads_confidential(user):
        confidential = Confidential(
            text=decrypted(vault, feedback.text_encrypted),
            callback=feedback.callback,
            callback_details=decrypted(vault, feedback.callback_details_encrypted),
        )
    return CaseView(
        feedback=feedback,
        tags=tags_of(feedback, vault),
        outcome=outcome_of(feedback, vault),
        phone=number,
        may_reveal=number is not None and may_reveal_phone(user, feedback),
        confidential=confidential,
        steps=lifecycle.next_steps(feedback),
        assignees=[member for member in desk_staff(db) if may_see(member, feedback)],
        sites=sites_of(db, user, active_only=True),
        conversation=conversation(db, user, feedback, vault),
        notes=[
            Note(note.author.email, note.created_at, unseal(vault, note.text, note.text_encrypted) or "")
            for note in db.scalars(
                select(CaseNote)
                .where(CaseNote.feedback_id == feedback.id)
                .order_by(CaseNote.created_at, CaseNote.id)
                .options(selectinload(CaseNote.author))
            )
        ],
        events=[
            Event(
                event.actor.email if event.actor else None,
                event.created_at,
                event.action,
                unseal(vault, event.detail, event.detail_encrypted) or {},
            )
            for event in db.scalars(
                select(CaseEvent)
                .where(CaseEvent.feedback_id == feedback.id)
                .order_by(CaseEvent.created_at, CaseEvent.id)
                .options(selectinload(CaseEvent.actor))
            )
        ],
        site_names=dict(db.execute(select(Site.slug, Site.name)).all()),
        canned_replies=list(db.scalars(select(CannedReply).order_by(CannedReply.title))),
    )


def canned_text(reply: CannedReply, lang: str, default: str) -> tuple[str, bool]:
    """A canned reply's text in `lang`; else another language's, and True to say it must be rewritten."""
    text = reply.texts.get(lang) or ""
    if text:
        return text, False
    return reply.texts.get(default) or next(iter(reply.texts.values()), ""), True
