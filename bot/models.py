"""The database schema: the source of truth for everything people sent."""

from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


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
    type_annotation_map = {datetime: UTCDateTime}


class Site(Base):
    __tablename__ = "site"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    region: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class Assembly(Base):
    """A citizen assembly held at a site."""

    __tablename__ = "assembly"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    title: Mapped[str] = mapped_column(String(160))
    place: Mapped[str] = mapped_column(String(160))
    starts_at: Mapped[datetime]
    capacity: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    site: Mapped[Site] = relationship()


class StaffUser(Base):
    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Contact(Base):
    """One person, whatever channel they write from, identified by a keyed hash of their number."""

    __tablename__ = "contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Encrypted E.164 number; erased when the person refuses consent.
    phone_encrypted: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(10))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))
    consent: Mapped[str | None] = mapped_column(String(10))  # accepted | refused
    consent_at: Mapped[datetime | None]
    opted_out_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)

    site: Mapped[Site | None] = relationship()


class Message(Base):
    """Every text in or out, stored before anything else happens to it."""

    __tablename__ = "message"
    __table_args__ = (
        UniqueConstraint("channel", "provider_id", name="uq_message_provider_id"),
        Index("ix_message_contact_created", "contact_id", "created_at"),
        Index("ix_message_status", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"))
    channel: Mapped[str] = mapped_column(String(20))
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    provider_id: Mapped[str | None] = mapped_column(String(64))
    in_reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("message.id"))
    text: Mapped[str | None] = mapped_column(Text)
    media: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    # True once the text was erased because the person refused consent.
    redacted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Outbound only. `replied` went back in the webhook's own answer; the others are the
    # pipeline's: pending -> claimed -> queued (the provider has it) -> sent -> delivered |
    # undelivered | failed | read; retry after a transient failure; unknown when the provider
    # may or may not have it; cancelled when the person opted out first.
    status: Mapped[str | None] = mapped_column(String(20))
    lane: Mapped[str | None] = mapped_column(String(10))  # reply | bulk
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    error_code: Mapped[str | None] = mapped_column(String(20))
    error_message: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    status_at: Mapped[datetime | None]


class Feedback(Base):
    """A submission waiting for staff: a complaint, a need, a report."""

    __tablename__ = "feedback"
    __table_args__ = (Index("ix_feedback_pending_intake", "ready_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    category: Mapped[str | None] = mapped_column(String(40))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))
    language: Mapped[str] = mapped_column(String(10))
    channel: Mapped[str] = mapped_column(String(20))
    text: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="new")
    confidential: Mapped[bool] = mapped_column(default=False)
    # A confidential report's text lives only here, encrypted; `text` stays empty.
    text_encrypted: Mapped[str | None] = mapped_column(Text)
    # May the person be called back: this_number | other | no; and, encrypted, how.
    callback: Mapped[str | None] = mapped_column(String(20))
    callback_details_encrypted: Mapped[str | None] = mapped_column(Text)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set by the intake job: the item is in the triage queue.
    ready_at: Mapped[datetime | None]

    site: Mapped[Site | None] = relationship()
    contact: Mapped[Contact] = relationship()


class Signup(Base):
    """A place at a citizen assembly, or on its waiting list; its reference is its feedback's."""

    __tablename__ = "signup"
    __table_args__ = (UniqueConstraint("assembly_id", "contact_id", name="uq_signup_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assembly.id"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id"))
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id"))
    status: Mapped[str] = mapped_column(String(20))  # confirmed | waitlist
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

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


class ConversationFallback(Base):
    """Conversation state kept here only while Redis is unreachable."""

    __tablename__ = "conversation_fallback"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    state: Mapped[str] = mapped_column(Text)  # the same JSON envelope Redis holds
    expires_at: Mapped[datetime]
