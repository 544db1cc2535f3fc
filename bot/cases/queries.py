"""The one query layer behind the inbox, the CSV export and the API: filters, search, keyset pages.

Every query here starts from `access.visible`, so what a user may see is decided in one place.
Pages are read newest first by keyset on (created_at, id): the next page starts strictly after the
last row shown, so a page costs the same at the end of a million rows as at the start, and rows
that arrive while someone reads are never shown twice. Nothing counts the whole table.
"""

import base64
import binascii
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from cryptography.fernet import InvalidToken
from sqlalchemy import Select, select, tuple_
from sqlalchemy.orm import Session, selectinload

from bot import references
from bot.cases.access import reads_confidential, visible
from bot.models import Feedback, Site, StaffUser
from bot.vault import Vault
from bot.vocabulary import N_, CaseStatus, Channel, Kind, Vocabulary
from bot.whole_numbers import record_id, whole_number

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_QUERY_LENGTH = 200

UNKNOWN_SITE = N_("Unknown site: “%(value)s”.")
_CODE = re.compile(r"[a-z0-9_]{1,40}")
_LANGUAGE = re.compile(r"[a-z]{2,3}")


class InvalidFilter(ValueError):
    """A filter value that cannot be used: answered with 400 and this message, never a 500.

    `message` is an English msgid of the `admin` domain, perhaps with `%(value)s` in it, so a page can
    translate it; `str()` gives the English text, for the API and the CSV export.
    """

    def __init__(self, field: str, message: str, value: str = ""):
        self.field, self.message, self.value = field, message, value[:80]
        super().__init__(self.text())

    def text(self, gettext=lambda message: message) -> str:
        return gettext(self.message) % {"value": self.value}


@dataclass(frozen=True)
class Filters:
    """What the inbox shows; an empty field means no filter on it."""

    status: str | None = None
    kind: str | None = None
    category: str | None = None
    site: str | None = None  # a site's slug
    language: str | None = None
    channel: str | None = None
    assignee: str | None = None  # "none", "me" or a staff id
    date_from: date | None = None
    date_to: date | None = None
    q: str | None = None  # a reference (exact), or words in the text

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> "Filters":
        """From query parameters; raises InvalidFilter for a value that cannot be meant."""
        raw = {f.name: (params.get(f.name) or "").strip() for f in fields(cls)}
        values: dict = {name: value or None for name, value in raw.items()}
        _one_of("status", values["status"], CaseStatus, N_("Unknown status: “%(value)s”."))
        _one_of("kind", values["kind"], Kind, N_("Unknown kind: “%(value)s”."))
        _one_of("channel", values["channel"], Channel, N_("Unknown channel: “%(value)s”."))
        _shaped("category", values["category"], _CODE, N_("Unknown category: “%(value)s”."))
        _shaped("site", values["site"], _CODE, UNKNOWN_SITE)
        _shaped("language", values["language"], _LANGUAGE, N_("Unknown language: “%(value)s”."))
        assignee = values["assignee"]
        if assignee is not None and assignee not in ("none", "me") and record_id(assignee) is None:
            raise InvalidFilter(
                "assignee", N_("Assignee must be “none”, “me” or a staff number, not “%(value)s”."), assignee
            )
        for name in ("date_from", "date_to"):
            if values[name] is not None:
                try:
                    values[name] = date.fromisoformat(values[name])
                    if not 2000 <= values[name].year <= 2999:
                        raise ValueError(values[name])
                except ValueError:
                    raise InvalidFilter(name, N_("Dates are written YYYY-MM-DD, not “%(value)s”."), raw[name]) from None
        if values["date_from"] and values["date_to"] and values["date_from"] > values["date_to"]:
            raise InvalidFilter("date_to", N_("The end date is before the start date (%(value)s)."), raw["date_to"])
        if values["q"] is not None and len(values["q"]) > MAX_QUERY_LENGTH:
            raise InvalidFilter("q", N_("The search is too long: 200 characters at most."), "")
        if values["q"] is not None and any(ord(c) < 32 for c in values["q"]):
            raise InvalidFilter("q", N_("The search contains control characters."), "")
        return cls(**values)

    def params(self) -> dict[str, str]:
        """The filters as query parameters, for links (the next page, the export)."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                out[f.name] = value.isoformat() if isinstance(value, date) else str(value)
        return out

    @property
    def any(self) -> bool:
        return bool(self.params())


def _one_of(name: str, value: str | None, allowed: type[Vocabulary], message: str) -> None:
    if value is not None and not allowed.has(value):
        raise InvalidFilter(name, message, value)


def _shaped(name: str, value: str | None, pattern: re.Pattern, message: str) -> None:
    if value is not None and not pattern.fullmatch(value):
        raise InvalidFilter(name, message, value)


# --- cursors ------------------------------------------------------------------------------


def encode_cursor(created_at: datetime, feedback_id: int) -> str:
    """Where the next (older) page starts: opaque to its users, it only names a position."""
    raw = f"{created_at.astimezone(UTC).isoformat()}|{feedback_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, _, number = raw.partition("|")
        created_at, feedback_id = datetime.fromisoformat(stamp), whole_number(number, 1, 2**63 - 1)
        if created_at.tzinfo is None or feedback_id is None or not 2000 <= created_at.year <= 2999:
            raise ValueError(raw)
        created_at = created_at.astimezone(UTC)
    except (ValueError, OverflowError, binascii.Error, UnicodeDecodeError):
        raise InvalidFilter("before", N_("This page link is broken: start again from the first page."), "") from None
    return created_at, feedback_id


# --- queries ------------------------------------------------------------------------------


@dataclass
class Page:
    items: list[Feedback]
    next: str | None  # the cursor of the next, older page; None on the last page


def _filtered(db: Session, user: StaffUser, filters: Filters, tz: tzinfo) -> Select:
    """Feedback `user` may see, narrowed by every filter but the text search."""
    query = visible(select(Feedback), user)
    for name in ("status", "kind", "category", "language", "channel"):
        value = getattr(filters, name)
        if value is not None:
            query = query.where(getattr(Feedback, name) == value)
    if filters.site is not None:
        site_id = db.scalar(select(Site.id).where(Site.slug == filters.site))
        if site_id is None:
            raise InvalidFilter("site", UNKNOWN_SITE, filters.site)
        query = query.where(Feedback.site_id == site_id)
    if filters.assignee == "none":
        query = query.where(Feedback.assignee_id.is_(None))
    elif filters.assignee == "me":
        query = query.where(Feedback.assignee_id == user.id)
    elif filters.assignee is not None:
        query = query.where(Feedback.assignee_id == record_id(filters.assignee))
    # Dates are days where the staff work (the app's time zone), the end date included.
    if filters.date_from is not None:
        query = query.where(Feedback.created_at >= datetime.combine(filters.date_from, time(), tz))
    if filters.date_to is not None:
        query = query.where(Feedback.created_at < datetime.combine(filters.date_to + timedelta(days=1), time(), tz))
    return query


def _loaded(query: Select) -> Select:
    return query.options(
        selectinload(Feedback.site), selectinload(Feedback.assignee), selectinload(Feedback.contact)
    )


def feedback_page(
    db: Session,
    user: StaffUser,
    filters: Filters,
    before: str | None = None,
    limit: int = PAGE_SIZE,
    tz: tzinfo = UTC,
) -> Page:
    """One page, newest first, of what `user` may see through `filters`, older than the cursor `before`."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    query = _filtered(db, user, filters, tz)
    if filters.q:
        reference = references.looks_like_one(filters.q)
        if reference is not None:
            # A reference is unique: one indexed look-up; if none matches, the words are searched.
            found = db.scalar(_loaded(query.where(Feedback.reference == reference)))
            if found is not None:
                return Page([found], None) if before is None else Page([], None)
        query = query.where(Feedback.text.icontains(filters.q, autoescape=True))
    if before:
        created_at, feedback_id = decode_cursor(before)
        query = query.where(tuple_(Feedback.created_at, Feedback.id) < (created_at, feedback_id))
    rows = _newest(db, query, limit + 1)
    if len(rows) > limit:
        rows = rows[:limit]
        return Page(rows, encode_cursor(rows[-1].created_at, rows[-1].id))
    return Page(rows, None)


def _newest(db: Session, query: Select, count: int) -> list[Feedback]:
    """The first `count` rows of `query`, newest first, read along a (…, created_at, id) index."""
    return list(db.scalars(_loaded(query.order_by(Feedback.created_at.desc(), Feedback.id.desc()).limit(count))))


def each_feedback(
    db: Session,
    user: StaffUser,
    filters: Filters,
    before: str | None = None,
    batch: int = MAX_PAGE_SIZE,
    tz: tzinfo = UTC,
) -> Iterator[Feedback]:
    """Everything `feedback_page` would show, page after page: for exports of any size."""
    cursor = before
    while True:
        page = feedback_page(db, user, filters, before=cursor, limit=batch, tz=tz)
        for item in page.items:
            yield item
            db.expunge(item)  # a long export keeps one batch in memory, not all of them
        if page.next is None:
            return
        cursor = page.next


def feedback_by_reference(db: Session, user: StaffUser, reference: str) -> Feedback | None:
    """One item by its reference, or None if there is none or `user` may not see it: the same answer."""
    cleaned = references.clean(reference)
    if not cleaned or len(cleaned) > references.MAX_LENGTH:
        return None
    return db.scalar(_loaded(visible(select(Feedback), user).where(Feedback.reference == cleaned)))


def readable_text(feedback: Feedback, user: StaffUser, vault: Vault) -> str | None:
    """The text as `user` may read it: a confidential report's only for the roles that may see one."""
    if not feedback.confidential:
        return feedback.text
    if not reads_confidential(user) or not feedback.text_encrypted:
        return None
    try:
        return vault.decrypt(feedback.text_encrypted)
    except InvalidToken:
        return None


def pseudonym(feedback: Feedback) -> str:
    """Who sent it, stable across items and exports, without the number: the start of its keyed hash."""
    return feedback.contact.phone_hash[:12] if feedback.contact is not None else ""
