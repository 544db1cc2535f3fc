"""One case as its page shows it: what came in, this case's exchange, notes, the trail, who may take it.

The page shows this case's own exchange (the message that opened it, the answer to it, and every text sent
about it), the person's other cases as links, and their whole conversation only on a paged history page:
a page stays light whatever the person's history.

Everything here has been through the access rules: a message of a confidential conversation is
left out for whoever may not read confidential reports (not even that one took place), and the
texts of confidential reports are decrypted only for those who may.
"""

from dataclasses import dataclass
from datetime import datetime

from cryptography.fernet import InvalidToken
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from bot.cases import lifecycle
from bot.cases.access import desk_staff, may_reveal_phone, may_see, reads_confidential, sites_of, visible
from bot.cases.deadlines import Countdown, countdown
from bot.cases.duplicates import Link, duplicates_of, original_of
from bot.cases.sealed import outcome_of, tags_of, unseal
from bot.media.files import attachments_of, files_of
from bot.models import (
    Attachment,
    CannedReply,
    CaseEvent,
    CaseNote,
    Contact,
    Feedback,
    Message,
    Site,
    StaffUser,
    utcnow,
)
from bot.outbound.gsm7 import SmsCost, cost
from bot.vault import Vault
from bot.vocabulary import AttachmentStatus, Channel, Direction, MessageStatus

# What one page shows at most, so that it stays under 100 KB whatever the history: a reply is at most
# 480 characters, a note 4,000.
EXCHANGE_SHOWN = 12  # the most recent messages of this case's exchange (most cases have fewer)
HISTORY_PAGE = 50  # messages per page of the person's whole conversation
HISTORY_PAGE_CHARS = 40_000  # or fewer, so that a page of long WhatsApp texts stays under 100 KB
OTHER_CASES_SHOWN = 20
NOTES_SHOWN = 15
EVENTS_SHOWN = 50


@dataclass(frozen=True)
class File:
    """A file the person sent with a message (bot.media): played or shown once stored, else its state."""

    id: int
    kind: str  # bot.vocabulary.AttachmentKind
    content_type: str
    seconds: int | None
    status: str  # bot.vocabulary.AttachmentStatus
    error: str | None


@dataclass(frozen=True)
class Line:
    """One message of the person's conversation."""

    id: int
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
    cost: SmsCost | None  # what an outgoing SMS costs: characters, encoding, parts
    files: tuple[File, ...] = ()  # the files the person sent with it


@dataclass(frozen=True)
class Conversation:
    lines: list[Line]
    more: bool  # older messages were left out


@dataclass(frozen=True)
class HistoryPage:
    """One page of the person's whole conversation, oldest first."""

    lines: list[Line]
    older: int | None  # the cursor of the page before this one, if there are older messages


@dataclass(frozen=True)
class OtherCases:
    """The person's other cases that the reader may see, newest first, as links."""

    links: list[Link]
    total: int


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
    exchange: Conversation
    others: OtherCases
    duplicate_of: Link | None
    duplicates: list[Link]
    due: Countdown | None
    notes: list[Note]  # the most recent, oldest first
    notes_hidden: int
    events: list[Event]  # the most recent, oldest first
    events_hidden: int
    site_names: dict[str, str]
    canned_replies: list[CannedReply]
    files: list[File]  # what the person sent in the conversation that led to it (a spoken description, a photo)


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


def _line(
    message: Message,
    vault: Vault,
    opening: int | None,
    by: dict[int, str],
    unreachable: bool,
    files: list[Attachment] | None = None,
) -> Line:
    outgoing = message.direction == Direction.OUT
    text = (decrypted(vault, message.text_encrypted) if message.confidential else message.text) or ""
    return Line(
        id=message.id,
        incoming=not outgoing,
        created_at=message.created_at,
        channel=message.channel,
        text=text,
        redacted=message.redacted,
        media=len(message.media or []),
        this_case=message.id == opening,
        by=by.get(message.id),
        status=message.status if outgoing else None,
        unreachable=unreachable
        and outgoing
        and MessageStatus.has(message.status)
        and MessageStatus(message.status).unsent,
        error=message.error_code,
        # Stored as it was sent (already folded to the channel's alphabet), so its cost is the one paid.
        cost=cost(text) if outgoing and message.channel == Channel.SMS and not message.redacted else None,
        files=tuple(_file(f) for f in files or ()),
    )


def _file(attachment: Attachment) -> File:
    a = attachment
    return File(a.id, a.kind, a.content_type, a.seconds, a.status, a.error)


def case_files(db: Session, user: StaffUser, feedback: Feedback) -> list[Attachment]:
    """The files tied to the case that `user` may read: a sealed message's only for who reads confidential reports."""
    files = files_of(db, [feedback.id]).get(feedback.id, [])
    if reads_confidential(user) or not files:
        return files
    sealed = set(
        db.scalars(select(Message.id).where(Message.id.in_([f.message_id for f in files]), Message.confidential))
    )
    return [f for f in files if f.message_id not in sealed]


def _unreachable(contact: Contact) -> bool:
    return contact.opted_out_at is not None or contact.phone_encrypted is None


def exchange(db: Session, user: StaffUser, feedback: Feedback, vault: Vault, events: list[Event]) -> Conversation:
    """This case's own messages: the one that opened it, the answer to it, and every text sent about it."""
    sent_about = {event.detail["message_id"]: event.actor for event in events if event.detail.get("message_id")}
    wanted = [Message.id.in_(sorted(sent_about))] if sent_about else []
    if feedback.message_id is not None:
        wanted += [Message.id == feedback.message_id, Message.in_reply_to_id == feedback.message_id]
    if not wanted:
        return Conversation([], False)
    query = select(Message).where(Message.contact_id == feedback.contact_id, or_(*wanted))
    if not reads_confidential(user):
        query = query.where(Message.confidential.is_(False))
    recent = list(db.scalars(query.order_by(Message.created_at.desc(), Message.id.desc()).limit(EXCHANGE_SHOWN + 1)))
    by = {message_id: actor for message_id, actor in sent_about.items() if actor}
    unreachable = _unreachable(feedback.contact)
    shown = recent[:EXCHANGE_SHOWN]
    files = attachments_of(db, [message.id for message in shown])
    lines = [
        _line(message, vault, feedback.message_id, by, unreachable, files.get(message.id))
        for message in reversed(shown)
    ]
    return Conversation(lines, len(recent) > EXCHANGE_SHOWN)


def _visible_history(db: Session, user: StaffUser, feedback: Feedback):
    """The person's messages `user` may read, and who sent each staff text: the inbox's access rules.

    A message that belongs to another case of theirs (the one that made it, the answer to it, a
    staff text about it) is shown only if `user` may see that case; a confidential conversation
    is not shown at all to whoever may not read confidential reports (not even that it took place).
    """
    contact_id = feedback.contact_id
    theirs = list(db.scalars(select(Feedback).where(Feedback.contact_id == contact_id)))
    staff_texts = _staff_texts(db, [case.id for case in theirs])
    hidden_cases = {case.id for case in theirs if not may_see(user, case)}
    hidden = {case.message_id for case in theirs if case.id in hidden_cases and case.message_id}
    hidden |= {message_id for message_id, (case_id, _) in staff_texts.items() if case_id in hidden_cases}
    query = select(Message).where(Message.contact_id == contact_id)
    if hidden:
        query = query.where(
            Message.id.not_in(hidden), or_(Message.in_reply_to_id.is_(None), Message.in_reply_to_id.not_in(hidden))
        )
    if not reads_confidential(user):
        query = query.where(Message.confidential.is_(False))
    return query, {message_id: email for message_id, (_, email) in staff_texts.items()}


def history(
    db: Session, user: StaffUser, feedback: Feedback, vault: Vault, before: int | None = None
) -> HistoryPage | None:
    """A page of the person's whole conversation, before the message `before` (None: the most recent).

    None if `before` is not one of the person's messages.
    """
    query, by = _visible_history(db, user, feedback)
    if before is not None:
        cursor = db.get(Message, before)
        if cursor is None or cursor.contact_id != feedback.contact_id:
            return None
        query = query.where(
            or_(
                Message.created_at < cursor.created_at,
                and_(Message.created_at == cursor.created_at, Message.id < cursor.id),
            )
        )
    recent = list(db.scalars(query.order_by(Message.created_at.desc(), Message.id.desc()).limit(HISTORY_PAGE + 1)))
    unreachable = _unreachable(feedback.contact)
    files = attachments_of(db, [message.id for message in recent[:HISTORY_PAGE]])
    lines, shown, length = [], [], 0
    for message in recent[:HISTORY_PAGE]:
        line = _line(message, vault, feedback.message_id, by, unreachable, files.get(message.id))
        length += len(line.text)
        if shown and length > HISTORY_PAGE_CHARS:  # long texts: fewer per page, so the page stays light
            break
        lines.append(line)
        shown.append(message)
    more = len(shown) < len(recent)
    return HistoryPage(lines[::-1], shown[-1].id if more else None)


def readable_file(db: Session, user: StaffUser, feedback: Feedback, attachment_id: int) -> Attachment | None:
    """A stored file of the case, or of the person's conversation, if `user` may read its message from this case:
    the text's rules, so a confidential report's files are only for who reads confidential reports. None otherwise."""
    attachment = db.get(Attachment, attachment_id)
    if attachment is None or attachment.status != AttachmentStatus.STORED:
        return None
    if attachment in case_files(db, user, feedback):
        return attachment
    query, _ = _visible_history(db, user, feedback)
    return attachment if db.scalar(query.where(Message.id == attachment.message_id)) is not None else None


def other_cases(db: Session, user: StaffUser, feedback: Feedback) -> OtherCases:
    """The person's other cases that `user` may see: reference, kind, status, date; never their texts."""
    query = visible(
        select(Feedback).where(Feedback.contact_id == feedback.contact_id, Feedback.id != feedback.id), user
    )
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    found = db.scalars(query.order_by(Feedback.created_at.desc(), Feedback.id.desc()).limit(OTHER_CASES_SHOWN))
    return OtherCases([Link(f.reference, f.kind, f.status, f.created_at) for f in found], total)


def _recent(db: Session, query, limit: int) -> tuple[list, int]:
    """The last `limit` rows of `query` (ordered oldest first by created_at, id), and how many were left out."""
    total = db.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    return list(db.scalars(query.offset(max(0, total - limit)))), max(0, total - limit)


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
    events = [
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
    ]
    notes, notes_hidden = _recent(
        db,
        select(CaseNote)
        .where(CaseNote.feedback_id == feedback.id)
        .order_by(CaseNote.created_at, CaseNote.id)
        .options(selectinload(CaseNote.author)),
        NOTES_SHOWN,
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
        exchange=exchange(db, user, feedback, vault, events),
        others=other_cases(db, user, feedback),
        duplicate_of=original_of(db, user, feedback),
        duplicates=duplicates_of(db, user, feedback),
        due=countdown(feedback.due_at, utcnow()),
        notes=[
            Note(note.author.email, note.created_at, unseal(vault, note.text, note.text_encrypted) or "")
            for note in notes
        ],
        notes_hidden=notes_hidden,
        events=events[-EVENTS_SHOWN:],
        events_hidden=max(0, len(events) - EVENTS_SHOWN),
        site_names=dict(db.execute(select(Site.slug, Site.name)).all()),
        canned_replies=list(db.scalars(select(CannedReply).order_by(CannedReply.title))),
        files=[_file(f) for f in case_files(db, user, feedback)],
    )


def canned_title(reply: CannedReply, interface_lang: str) -> str:
    """A canned reply's title in the staff interface's language, else its own title."""
    return (reply.titles or {}).get(interface_lang) or reply.title


def canned_text(reply: CannedReply, lang: str, default: str) -> tuple[str, bool]:
    """A canned reply's text in `lang`; else another language's, and True to say it must be rewritten."""
    text = reply.texts.get(lang) or ""
    if text:
        return text, False
    return reply.texts.get(default) or next(iter(reply.texts.values()), ""), True
