"""The database schema: the source of truth for everything people sent."""

from datetime import UTC, datetime
from typing import ClassVar

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from bot.search import fold
from bot.vocabulary import CaseStatus


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware datetimes on every backend (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict] = {datetime: UTCDateTime}


class Site(Base):
    __tablename__ = "site"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    region: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class Assembly(Base):
    """A citizen assembly held at a site, announced by organizers."""

    __tablename__ = "assembly"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    # In the default language: what staff lists and the sign-up's queue entry show.
    title: Mapped[str] = mapped_column(String(160))
    # {"fr": "...", "bm": "..."}: what each person reads, in their language (languages are data).
    titles: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    descriptions: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    place: Mapped[str] = mapped_column(String(160))
    starts_at: Mapped[datetime]
    capacity: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(20), default="planned", server_default="planned")  # AssemblyStatus
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", name="fk_assembly_created_by_id"))
    updated_at: Mapped[datetime | None]
    # Bumped by every change people are told of (moved, cancelled): each change's notice goes once.
    revision: Mapped[int] = mapped_column(default=0, server_default="0")

    site: Mapped[Site] = relationship()


staff_site = Table(
    "staff_site",
    Base.metadata,
    Column("staff_id", ForeignKey("staff_user.id", ondelete="CASCADE"), primary_key=True),
    Column("site_id", ForeignKey("site.id", ondelete="CASCADE"), primary_key=True),
)


class StaffUser(Base):
    """A staff account: admin, triage (optionally limited to sites), protection or organizer."""

    __tablename__ = "staff_user"
    __table_args__ = (UniqueConstraint("api_token_hash", name="uq_staff_user_api_token_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    role: Mapped[str] = mapped_column(String(20))  # bot.vocabulary.Role
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    active: Mapped[bool] = mapped_column(default=True, server_default="1")
    interface_language: Mapped[str] = mapped_column(String(10), default="fr", server_default="fr")
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None]
    # For /api/v1; only its hash is kept.
    api_token_hash: Mapped[str | None] = mapped_column(String(64))
    last_login_at: Mapped[datetime | None]

    sites: Mapped[list[Site]] = relationship(secondary=staff_site)


class StaffLogin(Base):
    """One signed-in browser of a staff member. The login cookie carries a random token and only its hash is
    kept here, checked on every request: deleting the row (logout, password reset, account disabled) ends the
    login even for someone holding a copy of the cookie."""

    __tablename__ = "staff_login"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class Contact(Base):
    """One person, whatever channel they write from, identified by a keyed hash of their number."""

    __tablename__ = "contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Encrypted E.164 number; erased when the person refuses consent.
    phone_encrypted: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(10))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))
    # When they last chose or confirmed their site: people move, so an old one is asked about again.
    site_confirmed_at: Mapped[datetime | None]
    consent: Mapped[str | None] = mapped_column(String(10))  # bot.vocabulary.Consent
    consent_at: Mapped[datetime | None]
    opted_out_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The channel they last wrote from (bot.vocabulary.Channel): where texts to them go.
    channel: Mapped[str | None] = mapped_column(String(20))
    # When they last wrote on WhatsApp: free text is allowed for 24 hours after (bot.outbound.store).
    whatsapp_seen_at: Mapped[datetime | None]

    site: Mapped[Site | None] = relationship()


class Message(Base):
    """Every text in or out, stored before anything else happens to it."""

    __tablename__ = "message"
    __table_args__ = (
        UniqueConstraint("channel", "provider_id", name="uq_message_provider_id"),
        Index("ix_message_contact_created", "contact_id", "created_at"),
        Index("ix_message_status", "status", "created_at"),
        # A broadcast reaches each person once.
        UniqueConstraint("broadcast_id", "contact_id", name="uq_message_broadcast_contact"),
        # What the bulk lane sends next on a channel, in order.
        Index("ix_message_bulk", "lane", "channel", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"))
    channel: Mapped[str] = mapped_column(String(20))  # bot.vocabulary.Channel
    direction: Mapped[str] = mapped_column(String(3))  # bot.vocabulary.Direction
    provider_id: Mapped[str | None] = mapped_column(String(64))
    in_reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("message.id"))
    text: Mapped[str | None] = mapped_column(Text)
    media: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    # A message of a confidential report's conversation: its text is only here, encrypted, and
    # only protection staff see it (even that such a conversation took place).
    confidential: Mapped[bool] = mapped_column(default=False, server_default="0")
    text_encrypted: Mapped[str | None] = mapped_column(Text)
    # True once the text was erased because the person refused consent.
    redacted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Outbound only: bot.vocabulary.MessageStatus, which describes the pipeline's statuses.
    status: Mapped[str | None] = mapped_column(String(20))
    lane: Mapped[str | None] = mapped_column(String(10))  # bot.vocabulary.Lane
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    error_code: Mapped[str | None] = mapped_column(String(20))
    error_message: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    status_at: Mapped[datetime | None]
    # The broadcast it is part of (bulk lane), if any.
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcast.id", name="fk_message_broadcast_id"))


class Attachment(Base):
    """A file a person sent with a message (a voice note, a photo, a call's recording), see bot.media.

    Recorded with its message, at the provider's URL; a worker fetches it, keeps it here encrypted, and
    deletes it at the provider. It is as confidential as its message: only who may read the message hears it.
    """

    __tablename__ = "attachment"
    __table_args__ = (Index("ix_attachment_status", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id"), index=True)
    # The submission the conversation that brought it led to (a description spoken before the last question).
    feedback_id: Mapped[int | None] = mapped_column(ForeignKey("feedback.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # bot.vocabulary.AttachmentKind
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int | None]  # bytes, once fetched
    seconds: Mapped[int | None]  # a recording's length, when the provider says it
    status: Mapped[str] = mapped_column(String(10))  # bot.vocabulary.AttachmentStatus
    # Why it was refused or failed (bot.media), e.g. `too_large`, `type`, `host`, `http_404`.
    error: Mapped[str | None] = mapped_column(String(40))
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    # The provider's URL until the file is fetched and deleted there.
    url: Mapped[str | None] = mapped_column(Text)
    # The file, encrypted with the vault, once stored.
    content_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)  # loaded when read
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    stored_at: Mapped[datetime | None]


class Feedback(Base):
    """A submission waiting for staff: a complaint, a need, a report."""

    __tablename__ = "feedback"
    __table_args__ = (
        Index("ix_feedback_pending_intake", "ready_at", "created_at"),
        # The inbox reads newest first, by keyset (created_at, id), often within one filter.
        Index("ix_feedback_newest", "created_at", "id"),
        Index("ix_feedback_inbox", "confidential", "created_at", "id"),
        Index("ix_feedback_category_inbox", "category", "created_at", "id"),
        Index("ix_feedback_status_inbox", "status", "created_at", "id"),
        Index("ix_feedback_site_inbox", "site_id", "created_at", "id"),
        Index("ix_feedback_kind_inbox", "kind", "created_at", "id"),
        Index("ix_feedback_assignee_inbox", "assignee_id", "created_at", "id"),
        Index("ix_feedback_contact", "contact_id", "created_at"),
        # The inbox sorted by what is due first.
        Index("ix_feedback_due", "due_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # bot.vocabulary.Kind
    # bot.vocabulary.Category, or for an assembly sign-up its bot.vocabulary.SignupStatus.
    category: Mapped[str | None] = mapped_column(String(40))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))
    language: Mapped[str] = mapped_column(String(10))
    channel: Mapped[str] = mapped_column(String(20))  # bot.vocabulary.Channel
    text: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=CaseStatus.NEW)  # bot.vocabulary.CaseStatus
    confidential: Mapped[bool] = mapped_column(default=False)
    # A confidential report's text lives only here, encrypted; `text` stays empty.
    text_encrypted: Mapped[str | None] = mapped_column(Text)
    # May the person be called back (bot.vocabulary.Callback); and, encrypted, how.
    callback: Mapped[str | None] = mapped_column(String(20))
    callback_details_encrypted: Mapped[str | None] = mapped_column(Text)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set by the intake job: the item is in the triage queue.
    ready_at: Mapped[datetime | None]
    # Triage.
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", name="fk_feedback_assignee_id"))
    tags: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    # What was done, as told to the person when the case was resolved (the follow-up quotes it).
    outcome: Mapped[str | None] = mapped_column(Text)
    # A confidential report's tags and outcome live only here, encrypted (bot.cases.sealed).
    tags_encrypted: Mapped[str | None] = mapped_column(Text)
    outcome_encrypted: Mapped[str | None] = mapped_column(Text)
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]
    # Response-time targets, fixed when the case came in (bot.cases.targets); `due_at` is when its
    # next step is due: acknowledge_by until it is answered, resolve_by until it is done, then none.
    acknowledge_by: Mapped[datetime | None]
    resolve_by: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    # The case this one repeats: closed with it, and the person told once.
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("feedback.id", name="fk_feedback_duplicate_of_id"))
    # `text` folded for word search (bot.search), under the database's full-text index; never a
    # confidential report's.
    search_text: Mapped[str | None] = mapped_column(Text)

    site: Mapped[Site | None] = relationship()
    contact: Mapped[Contact] = relationship()
    assignee: Mapped["StaffUser | None"] = relationship()


@event.listens_for(Feedback.text, "set")
def _searchable(feedback: Feedback, text: str | None, _old, _initiator) -> None:
    # Confidential reports keep `text` empty (their text is only encrypted), so nothing of theirs is indexed.
    feedback.search_text = fold(text)


class Partner(Base):
    """An organisation cases are referred to: what it offers, where, and whom to contact."""

    __tablename__ = "partner"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    # bot.vocabulary.Category codes it can act on.
    services: Mapped[list[str]] = mapped_column(JSON)
    contact: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True, server_default="1")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    sites: Mapped[list[Site]] = relationship(secondary=lambda: partner_site)


partner_site = Table(
    "partner_site",
    Base.metadata,
    Column("partner_id", ForeignKey("partner.id", ondelete="CASCADE"), primary_key=True),
    Column("site_id", ForeignKey("site.id", ondelete="CASCADE"), primary_key=True),
)


class Referral(Base):
    """A case handed to a partner, with the partner's answer: a case may be referred again after a decline."""

    __tablename__ = "referral"
    __table_args__ = (Index("ix_referral_feedback", "feedback_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"))
    status: Mapped[str] = mapped_column(String(20))  # bot.vocabulary.ReferralStatus
    # A confidential report's note lives only in note_encrypted (bot.cases.sealed).
    note: Mapped[str | None] = mapped_column(Text)
    note_encrypted: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)  # when it was sent
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", name="fk_referral_created_by_id"))
    accepted_at: Mapped[datetime | None]
    declined_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]

    partner: Mapped[Partner] = relationship()


class ProtectionAlert(Base):
    """The phone alert of one confidential report to the protection focal points (bot.cases.protection).

    A row of its own, written at the latest in the transaction that puts the report in the triage
    queue, so that no crash between the two loses it: the sweep queues its job again until it is
    done. One per report (the unique feedback id), so a job run twice alerts once.
    """

    __tablename__ = "protection_alert"
    __table_args__ = (
        UniqueConstraint("feedback_id", name="uq_protection_alert_feedback_id"),
        Index("ix_protection_alert_pending", "done_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When its messages were stored for the outbound pipeline (in the same commit); until then it is pending.
    done_at: Mapped[datetime | None]
    # Those messages, one per focal point: what ties a focal point's text to the report it is about.
    message_ids: Mapped[list[int] | None] = mapped_column(JSON(none_as_null=True))


class Signup(Base):
    """A place at a citizen assembly, or on its waiting list; its reference is its feedback's."""

    __tablename__ = "signup"
    __table_args__ = (UniqueConstraint("assembly_id", "contact_id", name="uq_signup_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assembly.id"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id"))
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id"))
    status: Mapped[str] = mapped_column(String(20))  # bot.vocabulary.SignupStatus
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None]
    # When the person was last told of this sign-up (confirmation, reminder, a place freed): the
    # cancel keyword works for a day after.
    told_at: Mapped[datetime | None]

    assembly: Mapped[Assembly] = relationship()
    feedback: Mapped[Feedback] = relationship()


class AssemblyInterest(Base):
    """Someone who asked to be told when the next assembly at their site is announced."""

    __tablename__ = "assembly_interest"
    __table_args__ = (UniqueConstraint("contact_id", "site_id", name="uq_assembly_interest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id"))
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    notified_at: Mapped[datetime | None]


class AssemblyNotice(Base):
    """One text to one person about one assembly (announced, a reminder, a change, a place freed): sent once.

    `kind` names the notice (e.g. `reminder:24`, `changed:2`); the unique key makes a job run twice,
    or two processes at once, tell the person once.
    """

    __tablename__ = "assembly_notice"
    __table_args__ = (UniqueConstraint("assembly_id", "contact_id", "kind", name="uq_assembly_notice_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assembly.id"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id"))
    kind: Mapped[str] = mapped_column(String(40))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Broadcast(Base):
    """A text organizers send to many people at once, one text per language; its messages carry its id."""

    __tablename__ = "broadcast"

    id: Mapped[int] = mapped_column(primary_key=True)
    # {"fr": "...", "bm": "..."}: each person gets their language's, the default language's otherwise.
    texts: Mapped[dict] = mapped_column(JSON)
    # {"sites": [...], "languages": [...], "channels": [...], "assembly": id}: empty means everyone who consented.
    audience: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20))  # bot.vocabulary.BroadcastStatus
    send_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", name="fk_broadcast_created_by_id"))
    recipients: Mapped[int] = mapped_column(default=0, server_default="0")
    # {"opted_out": n, "no_consent": n, "outside_whatsapp_window": n}: who the audience held but it does not reach.
    left_out: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    finished_at: Mapped[datetime | None]

    created_by: Mapped[StaffUser | None] = relationship()


class CaseNote(Base):
    """A staff note on a case; the person never sees it."""

    __tablename__ = "case_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    text: Mapped[str | None] = mapped_column(Text)
    # A note on a confidential report lives only here, encrypted (bot.cases.sealed).
    text_encrypted: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[StaffUser] = relationship()


class CaseEvent(Base):
    """The audit trail: every change to a case, and every reveal of a phone number (who, when, what)."""

    __tablename__ = "case_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    # The detail of an event on a confidential report lives only here, encrypted (bot.cases.sealed).
    detail_encrypted: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[StaffUser | None] = relationship()


class CannedReply(Base):
    """A reply staff can pick and edit before sending, written in each language."""

    __tablename__ = "canned_reply"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    # {"fr": "...", "en": "..."}: the title in each interface language, `title` otherwise.
    titles: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    # {"fr": "...", "bm": "..."}: languages are data.
    texts: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConversationState(Base):
    """Short-lived state (where a conversation waits, a USSD session's pages): encrypted, with an expiry.

    The only copy: a Redis outage or restart rewinds no conversation. Expired rows are purged.
    """

    __tablename__ = "conversation_state"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    state: Mapped[str] = mapped_column(Text)  # JSON, encrypted with the vault
    expires_at: Mapped[datetime] = mapped_column(index=True)
