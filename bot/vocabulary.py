"""The codes baro stores, each defined once, with the name staff read for it.

Every list of kinds, statuses, channels or categories (filters, labels, charts, the CSV, the API's
descriptions, the flow check, the send-status ranking) reads it from here. A label is an English
msgid of the staff interface's `admin` catalogue, translated where it is shown.
"""

from enum import StrEnum
from typing import Self


def N_(message: str) -> str:
    """Marks a label for the `admin` catalogue (`pybabel extract -k N_:1,1t`)."""
    return message


class Vocabulary(StrEnum):
    """A code as stored in the database, with its label for staff."""

    label: str

    def __new__(cls, value: str, label: str) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def has(cls, value: object) -> bool:
        """Whether `value` is one of the codes (`value in Kind` only takes members on Python 3.11)."""
        return value in cls._value2member_map_

    @classmethod
    def values(cls) -> tuple[str, ...]:
        return tuple(member.value for member in cls)

    @classmethod
    def described(cls) -> str:
        """The codes as an API description writes them: `a | b | c`."""
        return " | ".join(cls.values())


class Kind(Vocabulary):
    """What a submission is."""

    COMPLAINT = "complaint", N_("Complaint")
    NEED = "need", N_("Need")
    CONFIDENTIAL = "confidential", N_("Confidential report")
    ASSEMBLY = "assembly", N_("Assembly sign-up")

    @property
    def plural(self) -> str:
        """The label of many (the dashboard's series)."""
        return _PLURALS[self]


_PLURALS = {
    Kind.COMPLAINT: N_("Complaints"),
    Kind.NEED: N_("Needs"),
    Kind.CONFIDENTIAL: N_("Confidential reports"),
    Kind.ASSEMBLY: N_("Assembly sign-ups"),
}


class CaseStatus(Vocabulary):
    """Where a case is at the desk, in the order it moves on."""

    NEW = "new", N_("New")
    ACKNOWLEDGED = "acknowledged", N_("Acknowledged")
    IN_PROGRESS = "in_progress", N_("In progress")
    REFERRED = "referred", N_("Referred")
    RESOLVED = "resolved", N_("Resolved")
    CLOSED = "closed", N_("Closed")

    @property
    def done(self) -> bool:
        """No longer waiting for anyone."""
        return self in DONE


DONE = (CaseStatus.RESOLVED, CaseStatus.CLOSED)


class Category(Vocabulary):
    """What a complaint, need or confidential report is about (IFRC feedback coding)."""

    SHELTER = "shelter", N_("Shelter")
    WATER_SANITATION = "water_sanitation", N_("Water and sanitation")
    HEALTH = "health", N_("Health")
    FOOD = "food", N_("Food")
    SECURITY = "security", N_("Security")
    DOCUMENTS = "documents", N_("Documents")
    EDUCATION = "education", N_("Education")
    LIVELIHOODS = "livelihoods", N_("Work and income")
    VIOLENCE = "violence", N_("Violence")
    ABUSE_EXPLOITATION = "abuse_exploitation", N_("Abuse or exploitation")
    THREAT = "threat", N_("Threat")
    OTHER = "other", N_("Other")


_SERVICES = (
    Category.SHELTER,
    Category.WATER_SANITATION,
    Category.HEALTH,
    Category.FOOD,
    Category.SECURITY,
    Category.DOCUMENTS,
    Category.EDUCATION,
)
# The categories of each kind of submission, in the order the flows offer them. Staff code within
# these; `baro flows check` refuses a flow that offers another.
CATEGORIES: dict[Kind, tuple[Category, ...]] = {
    Kind.COMPLAINT: (*_SERVICES, Category.OTHER),
    Kind.NEED: (*_SERVICES, Category.LIVELIHOODS, Category.OTHER),
    Kind.CONFIDENTIAL: (Category.VIOLENCE, Category.ABUSE_EXPLOITATION, Category.THREAT, Category.OTHER),
}


class SignupStatus(Vocabulary):
    """A place at a citizen assembly; an assembly sign-up's category is its status."""

    CONFIRMED = "confirmed", N_("Signed up")
    WAITING = "waiting", N_("Waiting list")
    CANCELLED = "cancelled", N_("Cancelled")
    ATTENDED = "attended", N_("Attended")

    @property
    def holds_place(self) -> bool:
        """Counts against the assembly's capacity."""
        return self in (SignupStatus.CONFIRMED, SignupStatus.ATTENDED)


class AssemblyStatus(Vocabulary):
    """Where a citizen assembly is."""

    PLANNED = "planned", N_("Planned")
    HELD = "held", N_("Held")
    CANCELLED = "cancelled", N_("Cancelled")


class BroadcastStatus(Vocabulary):
    """Where a broadcast is: scheduled → sending → done; paused and cancelled by organizers."""

    SCHEDULED = "scheduled", N_("Scheduled")
    SENDING = "sending", N_("Sending")
    PAUSED = "paused", N_("Paused")
    CANCELLED = "cancelled", N_("Cancelled")
    DONE = "done", N_("Done")


class ReferralStatus(Vocabulary):
    """A referral as the partner answers it: sent → accepted or declined; accepted → done."""

    SENT = "sent", N_("Sent to the partner")
    ACCEPTED = "accepted", N_("Accepted by the partner")
    DECLINED = "declined", N_("Declined by the partner")
    DONE = "done", N_("Done by the partner")


class Callback(Vocabulary):
    """Whether a confidential report's author may be called back."""

    THIS_NUMBER = "this_number", N_("Yes, on this number")
    OTHER = "other", N_("Yes, on another number or at a set time")
    NO = "no", N_("No, do not call")


class Channel(Vocabulary):
    """How the person reached baro, and so how they are answered."""

    SMS = "sms", N_("SMS")
    WHATSAPP = "whatsapp", N_("WhatsApp")
    USSD = "ussd", N_("USSD")
    VOICE = "voice", N_("Voice call")

    @property
    def outbound(self) -> "Channel":
        """The channel a later text goes out on: a USSD session or a call cannot be reached from outside, SMS can."""
        return Channel.SMS if self in (Channel.USSD, Channel.VOICE) else self


class AttachmentKind(Vocabulary):
    """What a file a person sent is (bot.media)."""

    AUDIO = "audio", N_("Voice recording")
    IMAGE = "image", N_("Photo")
    OTHER = "other", N_("File")


class AttachmentStatus(Vocabulary):
    """Where a file a person sent is: pending at the provider, stored here (encrypted), refused, or failed."""

    PENDING = "pending", N_("Being fetched")
    STORED = "stored", N_("Kept")
    REFUSED = "refused", N_("Refused")
    FAILED = "failed", N_("Could not be fetched")


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class Lane(StrEnum):
    """Outbound messages: replies to a person go before bulk sends."""

    REPLY = "reply"
    BULK = "bulk"


class MessageStatus(Vocabulary):
    """What became of a text sent to the person, as staff read it.

    `replied` went back in the webhook's own answer. The pipeline's: pending → claimed → queued (the
    provider has it) → sent → delivered | undelivered | failed | read; retry after a transient
    failure; unknown when the provider may or may not have it; cancelled when the person opted out.
    """

    REPLIED = "replied", N_("answered at once")
    PENDING = "pending", N_("waiting to be sent")
    CLAIMED = "claimed", N_("being sent")
    RETRY = "retry", N_("waiting to be sent again")
    QUEUED = "queued", N_("sent")
    SENDING = "sending", N_("sent")
    SENT = "sent", N_("sent")
    DELIVERED = "delivered", N_("delivered")
    UNDELIVERED = "undelivered", N_("not delivered")
    FAILED = "failed", N_("not sent: it failed")
    READ = "read", N_("read")
    UNKNOWN = "unknown", N_("maybe sent: check with the provider")
    CANCELLED = "cancelled", N_("not sent: the person opted out or refused consent")

    @property
    def rank(self) -> int | None:
        """Its place on the delivery ladder (None: not a provider's report)."""
        return _RANKS.get(self)

    @property
    def unsent(self) -> bool:
        """Not yet handed to a provider."""
        return self in (MessageStatus.PENDING, MessageStatus.CLAIMED, MessageStatus.RETRY, MessageStatus.CANCELLED)


# Delivery reports may arrive out of order: a status never moves back down this ladder.
_RANKS = {
    MessageStatus.CLAIMED: 0,
    MessageStatus.QUEUED: 1,
    MessageStatus.SENDING: 2,
    MessageStatus.SENT: 3,
    MessageStatus.DELIVERED: 4,
    MessageStatus.UNDELIVERED: 4,
    MessageStatus.FAILED: 4,
    MessageStatus.READ: 5,
}


class Consent(StrEnum):
    ACCEPTED = "accepted"
    REFUSED = "refused"


class Role(StrEnum):
    """A staff account's role; what each may see is decided in bot.cases.access."""

    ADMIN = "admin"
    TRIAGE = "triage"
    PROTECTION = "protection"
    ORGANIZER = "organizer"


def label(vocabulary: type[Vocabulary], value: str | None) -> str:
    """The label msgid of `value`, or the value itself when it is not (or no longer) a known code."""
    return vocabulary(value).label if vocabulary.has(value) else (value or "")
