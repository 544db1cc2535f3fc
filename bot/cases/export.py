"""The columns of the inbox's exports, defined once: the CSV writes them as codes, the XLSX as labels.

A column gives a value for one case as a program reads it (`code`: stable codes, ISO dates) and, where it
differs, as a person reads it (`label`: the names staff see, in their language). Each has an HXL hashtag
(https://hxlstandard.org) for the optional row under the header, with `+code` or `+name` as the file holds.
What a reader may see of a case is decided once, in `Row`: a confidential report's text, outcome, tags and
partner only for the roles that read confidential reports (the queries leave the reports out for the others).
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from sqlalchemy.orm import Session

from bot.cases.access import reads_confidential
from bot.cases.queries import MAX_PAGE_SIZE, Filters, feedback_page, pseudonym, readable_text
from bot.cases.referrals import latest_referrals
from bot.cases.sealed import outcome_of, tags_of
from bot.cases.targets import is_overdue
from bot.models import Feedback, Referral, StaffUser
from bot.vault import Vault
from bot.vocabulary import N_, CaseStatus, Category, Channel, Kind, ReferralStatus, SignupStatus, Vocabulary

# A value as a column gives it: text, a moment, a number of hours, yes/no; None for nothing.
Value = str | datetime | float | bool | None


@dataclass(frozen=True)
class Reading:
    """How the labelled file names things: the reader's gettext, and languages by their own names."""

    gettext: Callable[[str], str]
    language_name: Callable[[str | None], str]


@dataclass(frozen=True)
class Row:
    """One case as `user` may export it, with its latest referral."""

    feedback: Feedback
    referral: Referral | None
    text: str
    outcome: str
    tags: list[str]
    partner: str
    overdue: bool

    @classmethod
    def of(cls, feedback: Feedback, referral: Referral | None, user: StaffUser, vault: Vault, now: datetime) -> "Row":
        # The queries never give a confidential report to a reader who may not see one; should one come
        # through, its details stay out all the same.
        sealed = feedback.confidential and not reads_confidential(user)
        return cls(
            feedback=feedback,
            referral=referral,
            text="" if sealed else readable_text(feedback, user, vault) or "",
            outcome="" if sealed else outcome_of(feedback, vault) or "",
            tags=[] if sealed else tags_of(feedback, vault),
            partner="" if sealed or referral is None else referral.partner.name,
            overdue=is_overdue(feedback, now),
        )


def _named(vocabularies: tuple[type[Vocabulary], ...], value: str | None, reading: Reading) -> str:
    for codes in vocabularies:
        if codes.has(value):
            return reading.gettext(codes(value).label)
    return value or ""


def _hours(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else round(max(end - start, timedelta(0)) / timedelta(hours=1), 1)


@dataclass(frozen=True)
class Column:
    key: str  # the CSV's header: stable, for programs
    title: str  # the XLSX's header: an `admin` msgid
    hxl: str  # the column's hashtag as codes
    code: Callable[[Row], Value]
    label: Callable[[Row, Reading], Value] | None = None  # as a person reads it, where it differs
    hxl_label: str | None = None  # the column's hashtag as labels, where it differs

    def hashtag(self, labelled: bool) -> str:
        return (self.hxl_label or self.hxl) if labelled else self.hxl

    def value(self, row: Row, reading: Reading | None) -> Value:
        """As codes without a `reading`, as labels with one."""
        if reading is not None and self.label is not None:
            return self.label(row, reading)
        return self.code(row)


def _coded(
    key: str, title: str, hxl: str, code: Callable[[Row], str | None], *vocabularies: type[Vocabulary]
) -> Column:
    """A column of codes, named by their labels in the XLSX."""
    return Column(
        key, title, hxl, lambda row: code(row) or "", lambda row, reading: _named(vocabularies, code(row), reading)
    )


def _referral_status(row: Row) -> str | None:
    return row.referral.status if row.referral else None


# The first twelve are the CSV's columns of old, in their order: programs that read it by position still can.
COLUMNS: tuple[Column, ...] = (
    # HXL: #meta is a data set's own metadata, such as a row's identifier.
    Column("reference", N_("Reference"), "#meta+id", lambda row: row.feedback.reference),
    Column("created_at", N_("Received"), "#date+reported", lambda row: row.feedback.created_at),
    _coded("kind", N_("Kind"), "#meta+kind", lambda row: row.feedback.kind, Kind),
    # An assembly sign-up's category is its place or waiting-list status.
    _coded("category", N_("Category"), "#sector", lambda row: row.feedback.category, Category, SignupStatus),
    # HXL: #loc is a place below the administrative areas, such as a camp or a displacement site.
    Column(
        "site",
        N_("Site"),
        "#loc+code",
        lambda row: row.feedback.site.slug if row.feedback.site else "",
        lambda row, reading: row.feedback.site.name if row.feedback.site else "",
        "#loc+name",
    ),
    Column(
        "language",
        N_("Language"),
        "#language+code",
        lambda row: row.feedback.language,
        lambda row, reading: reading.language_name(row.feedback.language),
        "#language+name",
    ),
    _coded("channel", N_("Channel"), "#meta+channel", lambda row: row.feedback.channel, Channel),
    _coded("status", N_("Status"), "#status", lambda row: row.feedback.status, CaseStatus),
    Column(
        "assignee",
        N_("Assigned to"),
        "#contact+email",
        lambda row: row.feedback.assignee.email if row.feedback.assignee else "",
    ),
    Column("tags", N_("Tags"), "#meta+tags", lambda row: ";".join(row.tags)),
    Column("text", N_("Text"), "#description", lambda row: row.text),
    # Who sent it, the same for all their cases, without the number.
    Column("contact", N_("Person (pseudonym)"), "#meta+contact", lambda row: pseudonym(row.feedback)),
    Column("outcome", N_("Outcome"), "#description+outcome", lambda row: row.outcome),
    Column(
        "first_response_hours",
        N_("First response (hours)"),
        "#meta+first_response+hours",
        lambda row: _hours(row.feedback.created_at, row.feedback.first_response_at),
    ),
    Column("resolved_at", N_("Resolved on"), "#date+resolved", lambda row: row.feedback.resolved_at),
    # HXL: +impl is the organisation that carries the work out.
    Column("referral_partner", N_("Referred to"), "#org+impl", lambda row: row.partner),
    _coded("referral_status", N_("Referral status"), "#status+referral", _referral_status, ReferralStatus),
    Column(
        "referred_at",
        N_("Referred on"),
        "#date+referred",
        lambda row: row.referral.created_at if row.referral else None,
    ),
    Column("due_at", N_("Next step due by"), "#date+due", lambda row: row.feedback.due_at),
    Column(
        "overdue",
        N_("Overdue"),
        "#status+overdue",
        lambda row: row.overdue,
        lambda row, reading: reading.gettext(N_("Yes") if row.overdue else N_("No")),
    ),
)


def batches(
    db: Session,
    user: StaffUser,
    vault: Vault,
    filters: Filters,
    tz: tzinfo,
    now: datetime,
    before: str | None = None,
) -> Iterator[list[Row]]:
    """What the inbox shows through `filters`, newest first, as export rows, a page at a time (any size)."""
    cursor = before
    while True:
        page = feedback_page(db, user, filters, before=cursor, limit=MAX_PAGE_SIZE, tz=tz)
        yield rows(db, user, vault, page.items, now)
        for item in page.items:
            db.expunge(item)  # one batch in memory, not all of them
        if page.next is None:
            return
        cursor = page.next


def rows(db: Session, user: StaffUser, vault: Vault, feedbacks: list[Feedback], now: datetime) -> list[Row]:
    """Export rows of a batch of cases: their latest referrals read in one query."""
    referrals = latest_referrals(db, [feedback.id for feedback in feedbacks])
    return [Row.of(feedback, referrals.get(feedback.id), user, vault, now) for feedback in feedbacks]
