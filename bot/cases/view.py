"""One case as its page shows it: what came in, the conversation, notes, the trail, who may take it.

Everything here has been through the access rules: a message of a confidential conversation is
left out for whoever may not read confidential reports (not even that one took place), and the
texts of confidential reports are decrypted only for those who may.
"""

from dataclasses import dataclass
from datetime import datetime

from cryptography.fernet import InvalidToken
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.cases import lifecycle
from bot.cases.access import desk_staff, may_reveal_phone, may_see, reads_confidential, sites_of
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
class CaseView:
    feedback: Feedback
    phone: str | None  # in clear: the page masks it, and shows it whole only on a reveal
    may_reveal: bool
    confidential: Confidential | None
    steps: tuple[str, ...]
    assignees: list[StaffUser]
    sites: list[Site]
    conversation: Conversation
    notes: list[CaseNote]
    events: list[CaseEvent]
    site_names: dict[str, str]
    canned_replies: list[CannedReply]


def decrypted(vault: Vault, token: str | None) -> str | None:
    if not token:
        return None
    try:
        return vault.decrypt(token)
    except InvalidToken:
        return None


def conversation(db: Session, user: StaffUser, feedback: Feedback, vault: Vault) -> Conversation:
    contact = feedback.contact
    query = select(Message).where(Message.contact_id == contact.id)
    if not reads_confidential(user):
        # Not even that a confidential conversation took place.
        query = query.where(Message.confidential.is_(False))
    recent = list(
        db.scalars(query.order_by(Message.created_at.desc(), Message.id.desc()).limit(CONVERSATION_SHOWN + 1))
    )
    more = len(recent) > CONVERSATION_SHOWN
    # Who sent each staff text to the person, whichever of their cases it was about.
    sent_by = (
        select(CaseEvent.detail, StaffUser.email)
        .join(StaffUser, StaffUser.id == CaseEvent.actor_id)
        .join(Feedback, Feedback.id == CaseEvent.feedback_id)
        .where(Feedback.contact_id == contact.id, CaseEvent.action.in_(("replied", "status_changed")))
    )
    if not reads_confidential(user):
        sent_by = sent_by.where(Feedback.confidential.is_(False))
    staff_sent = {
        detail["message_id"]: email for detail, email in db.execute(sent_by) if detail and detail.get("message_id")
    }
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
        phone=number,
        may_reveal=number is not None and may_reveal_phone(user, feedback),
        confidential=confidential,
        steps=lifecycle.next_steps(feedback),
        assignees=[member for member in desk_staff(db) if may_see(member, feedback)],
        sites=sites_of(db, user, active_only=True),
        conversation=conversation(db, user, feedback, vault),
        notes=list(
            db.scalars(
                select(CaseNote)
                .where(CaseNote.feedback_id == feedback.id)
                .order_by(CaseNote.created_at, CaseNote.id)
                .options(selectinload(CaseNote.author))
            )
        ),
        events=list(
            db.scalars(
                select(CaseEvent)
                .where(CaseEvent.feedback_id == feedback.id)
                .order_by(CaseEvent.created_at, CaseEvent.id)
                .options(selectinload(CaseEvent.actor))
            )
        ),
        site_names=dict(db.execute(select(Site.slug, Site.name)).all()),
        canned_replies=list(db.scalars(select(CannedReply).order_by(CannedReply.title))),
    )


def canned_text(reply: CannedReply, lang: str, default: str) -> tuple[str, bool]:
    """A canned reply's text in `lang`; else another language's, and True to say it must be rewritten."""
    text = reply.texts.get(lang) or ""
    if text:
        return text, False
    return reply.texts.get(default) or next(iter(reply.texts.values()), ""), True
