"""Which files baro keeps and where it may fetch them; recording them with their message; finding them."""

from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.conversation.inbound import InboundMedia
from bot.models import Attachment, Feedback, Message
from bot.vocabulary import AttachmentKind, AttachmentStatus

API_VERSION = "2010-04-01"
DEFAULT_TYPES = ("audio/*", "image/jpeg", "image/png", "image/webp")
# Why a file was refused or failed, as staff read it on the case page (also `http_404`, `http_503`...).
TOO_LARGE, WRONG_TYPE, OTHER_HOST, NETWORK = "too_large", "type", "host", "network"


@dataclass(frozen=True)
class MediaRules:
    """Which files baro keeps, and where it may fetch them."""

    types: tuple[str, ...] = DEFAULT_TYPES
    api_url: str = "https://api.twilio.com"
    account_sid: str = ""
    max_bytes: int = 16 * 1024 * 1024

    @classmethod
    def configured(cls, settings: Settings) -> "MediaRules":
        return cls(
            tuple(settings.media_types), settings.twilio_api_url, settings.twilio_account_sid, settings.media_max_bytes
        )

    def takes(self, content_type: str) -> bool:
        """Whether a file of `content_type` is kept: `audio/*` takes every audio type."""
        given = content_type.split(";")[0].strip().lower()
        return bool(given) and any(
            given == wanted or (wanted.endswith("/*") and given.startswith(wanted[:-1])) for wanted in self.types
        )

    def at_provider(self, url: str) -> bool:
        """Whether `url` names a resource of this Twilio account on the configured API host, and nothing else."""
        api, given = urlsplit(self.api_url), urlsplit(url)
        try:
            same_host = (given.scheme, given.hostname, given.port) == (api.scheme, api.hostname, api.port)
        except ValueError:  # a port that is no number
            return False
        segments = given.path.split("/")
        return (
            same_host
            and given.username is None
            and not given.query
            and not given.fragment
            and bool(self.account_sid)
            and given.path.startswith(f"/{API_VERSION}/Accounts/{self.account_sid}/")
            and ".." not in segments
            and "." not in segments
        )

    def keeps(self, item: InboundMedia) -> bool:
        """Whether a file that came with a message will be fetched and kept (unless too large)."""
        return self.at_provider(item.url) and self.takes(item.content_type)


def kind_of(content_type: str) -> AttachmentKind:
    main = content_type.split("/")[0].strip().lower()
    return {"audio": AttachmentKind.AUDIO, "image": AttachmentKind.IMAGE}.get(main, AttachmentKind.OTHER)


def record(db: Session, message_id: int, media: tuple[InboundMedia, ...], rules: MediaRules) -> bool:
    """Write the files that came with a message (flushed); whether any is at the provider, for the job to fetch.

    A URL on another host is refused and forgotten (never requested); a type baro does not keep is
    refused, its URL kept until the job deletes the file at Twilio.
    """
    at_provider = False
    for item in media:
        attachment = Attachment(
            message_id=message_id,
            kind=kind_of(item.content_type),
            content_type=item.content_type[:100],
            seconds=item.seconds,
            status=AttachmentStatus.PENDING,
            url=item.url,
        )
        if not rules.at_provider(item.url):
            attachment.status, attachment.error, attachment.url = AttachmentStatus.REFUSED, OTHER_HOST, None
        elif not rules.takes(item.content_type):
            attachment.status, attachment.error = AttachmentStatus.REFUSED, WRONG_TYPE
        db.add(attachment)
        at_provider = at_provider or attachment.url is not None
    db.flush()
    return at_provider


# Built once: every submission gathers its files.
_PREVIOUS = (
    select(func.max(Feedback.message_id))
    .where(Feedback.contact_id == bindparam("contact"), Feedback.id != bindparam("feedback"))
    .scalar_subquery()
)
_SINCE = select(Message.id).where(Message.contact_id == bindparam("contact"), Message.id > func.coalesce(_PREVIOUS, 0))
_GATHER = (
    update(Attachment.__table__)
    .where(Attachment.feedback_id.is_(None), Attachment.message_id.in_(_SINCE))
    .values(feedback_id=bindparam("feedback"))
)


def gather(db: Session, contact_id: int, feedback_id: int) -> None:
    """Tie to a new submission the files its person sent since their previous one: the conversation that led to
    it (a voice note as the description, a photo sent at another question), so staff find them on its page."""
    db.connection().execute(_GATHER, {"contact": contact_id, "feedback": feedback_id})


def files_of(db: Session, feedback_ids: list[int]) -> dict[int, list[Attachment]]:
    """The files tied to these submissions (without their content), by submission id, in the order they came."""
    found: dict[int, list[Attachment]] = {}
    if feedback_ids:
        query = select(Attachment).where(Attachment.feedback_id.in_(feedback_ids)).order_by(Attachment.id)
        for attachment in db.scalars(query):
            found.setdefault(attachment.feedback_id, []).append(attachment)
    return found


def attachments_of(db: Session, message_ids: list[int]) -> dict[int, list[Attachment]]:
    """The files of these messages (without their content), by message id, in the order they came."""
    found: dict[int, list[Attachment]] = {}
    if message_ids:
        query = select(Attachment).where(Attachment.message_id.in_(message_ids)).order_by(Attachment.id)
        for attachment in db.scalars(query):
            found.setdefault(attachment.message_id, []).append(attachment)
    return found


def waiting_at_provider(db: Session, older_than, limit: int) -> list[int]:
    """The messages whose files are still at Twilio (to fetch, or to delete there): what the sweep queues again."""
    return list(
        db.scalars(
            select(Attachment.message_id)
            .where(
                Attachment.url.is_not(None),
                Attachment.status != AttachmentStatus.FAILED,
                Attachment.created_at < older_than,
            )
            .group_by(Attachment.message_id)
            .order_by(Attachment.message_id)
            .limit(limit)
        )
    )
