"""The one query layer behind the inbox, the exports and the API: filters, search, sorts, keyset pages, counts.

Every query here starts from `access.visible`, so what a user may see is decided in one place.
Pages are read by keyset in one of three orders (newest first on (created_at, id), oldest first,
or what is due first on (due_at, id), cases without a due date after the others): the next page
starts strictly after the last row shown, so a page costs the same at the end of a million rows as
at the start, and rows that arrive while someone reads are never shown twice. Words are searched
through the database's own full-text index over the folded text (`bot.search`): FTS5 on SQLite, a
`tsvector` GIN index on PostgreSQL. Nothing counts the whole table: a count stops at COUNT_CAP.
"""

import base64
import binascii
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta, tzinfo

import sqlalchemy.dialects.postgresql  # noqa: F401  (registers func.to_tsvector's types before _TSVECTOR is built)
from cryptography.fernet import InvalidToken
from sqlalchemy import ColumnElement, Select, column, exists, false, func, literal_column, select, table, tuple_
from sqlalchemy.orm import Session, aliased, selectinload

from bot import references, search
from bot.cases.access import reads_confidential, visible
from bot.models import Feedback, Referral, Site, StaffUser
from bot.vault import Vault
from bot.vocabulary import N_, CaseStatus, Channel, Kind, ReferralStatus, Vocabulary
from bot.whole_numbers import record_id, whole_number

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_QUERY_LENGTH = 200
# A count reads at most this many rows, and one more to know there are more (the page then says "more
# than 10,000"): on a million rows that costs about what a page costs, where counting all that a broad
# filter matches would read them all on every page load (bench/inbox.py measures both).
COUNT_CAP = 10_000

NEWEST, OLDEST, DUE = "newest", "oldest", "due"
# The orders a list can be read in, and how the staff pages name them.
SORTS = {NEWEST: N_("Newest first"), OLDEST: N_("Oldest first"), DUE: N_("Due first")}
# The referral filter: referred at all, or the status of the case's latest referral.
REFERRED = "any"

UNKNOWN_SITE = N_("Unknown site: “%(value)s”.")
BROKEN_LINK = N_("This page link is broken: start again from the first page.")
_CODE = re.compile(r"[a-z0-9_]{1,40}")
_LANGUAGE = re.compile(r"[a-z]{2,3}")
_CURSOR = re.compile(r"[A-Za-z0-9_-]{1,200}")


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
    """What the inbox shows, and in which order; an empty field means no filter on it."""

    status: str | None = None
    kind: str | None = None
    category: str | None = None
    site: str | None = None  # a site's slug
    language: str | None = None
    channel: str | None = None
    assignee: str | None = None  # "none", "me" or a staff id
    referral: str | None = None  # REFERRED, or the status of the latest referral (bot.vocabulary.ReferralStatus)
    date_from: date | None = None
    date_to: date | None = None
    q: str | None = None  # a reference (exact), or words in the text
    # Not a filter, but it travels with them in every link (the next page, the export): one of SORTS.
    sort: str = NEWEST

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
        if values["referral"] not in (None, REFERRED) and not ReferralStatus.has(values["referral"]):
            raise InvalidFilter("referral", N_("Unknown referral status: “%(value)s”."), values["referral"])
        values["sort"] = values["sort"] or NEWEST
        if values["sort"] not in SORTS:
            raise InvalidFilter("sort", N_("Unknown order: “%(value)s”."), values["sort"])
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
        """The filters and the order as query parameters, for links (the next page, the export)."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None and not (f.name == "sort" and value == NEWEST):
                out[f.name] = value.isoformat() if isinstance(value, date) else str(value)
        return out

    @property
    def any(self) -> bool:
        """Whether anything is filtered or searched (an order alone filters nothing)."""
        return any(name != "sort" for name in self.params())

    @property
    def narrowed(self) -> bool:
        """Whether a filter other than the search box is set: the page then shows the filters unfolded."""
        return any(name not in ("sort", "q") for name in self.params())


def _one_of(name: str, value: str | None, allowed: type[Vocabulary], message: str) -> None:
    if value is not None and not allowed.has(value):
        raise InvalidFilter(name, message, value)


def _shaped(name: str, value: str | None, pattern: re.Pattern, message: str) -> None:
    if value is not None and not pattern.fullmatch(value):
        raise InvalidFilter(name, message, value)


# --- cursors ------------------------------------------------------------------------------
# A cursor names the last row shown by its sort key: "created_at|id" newest first (the form older links
# already carry), "oldest|created_at|id", "due|due_at|id" or "due||id" for a case without a due date. It is
# only good for the order it was made in: any other cursor is a broken link.


def encode_cursor(at: datetime | None, feedback_id: int, sort: str = NEWEST) -> str:
    """Where the next page starts: opaque to its users, it only names a position in one order."""
    stamp = at.astimezone(UTC).isoformat() if at is not None else ""
    raw = f"{stamp}|{feedback_id}" if sort == NEWEST else f"{sort}|{stamp}|{feedback_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str = NEWEST) -> tuple[datetime | None, int]:
    """The position a cursor of `sort` names; InvalidFilter for anything else, never another error."""
    try:
        if not _CURSOR.fullmatch(cursor):
            raise ValueError(cursor)
        parts = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().split("|")
        if sort != NEWEST and parts[0] != sort:
            raise ValueError(parts)
        stamp, number = parts[-2:] if len(parts) == (2 if sort == NEWEST else 3) else ("", "")
        feedback_id = whole_number(number, 1, 2**63 - 1)
        if feedback_id is None:
            raise ValueError(number)
        if stamp == "" and sort == DUE:
            return None, feedback_id
        at = datetime.fromisoformat(stamp)
        if at.tzinfo is None or not 2000 <= at.year <= 2999:
            raise ValueError(stamp)
        return at.astimezone(UTC), feedback_id
    except (ValueError, OverflowError, binascii.Error, UnicodeDecodeError):
        raise InvalidFilter("before", BROKEN_LINK, "") from None


def _cursor_after(feedback: Feedback, sort: str) -> str:
    return encode_cursor(feedback.due_at if sort == DUE else feedback.created_at, feedback.id, sort)


# --- queries ------------------------------------------------------------------------------


@dataclass
class Page:
    items: list[Feedback]
    next: str | None  # the cursor of the next page; None on the last page


@dataclass(frozen=True)
class Count:
    """How many items a list holds, up to COUNT_CAP."""

    number: int
    more: bool  # more than `number` (= COUNT_CAP): not counted further


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
    if filters.referral is not None:
        query = query.where(_referred(filters.referral))
    # Dates are days where the staff work (the app's time zone), the end date included.
    if filters.date_from is not None:
        query = query.where(Feedback.created_at >= datetime.combine(filters.date_from, time(), tz))
    if filters.date_to is not None:
        query = query.where(Feedback.created_at < datetime.combine(filters.date_to + timedelta(days=1), time(), tz))
    return query


def _referred(referral: str) -> ColumnElement[bool]:
    """Cases referred at all, or whose latest referral (the last by (created_at, id), as
    `bot.cases.referrals.latest_referrals` reads it) has the status `referral`."""
    if referral == REFERRED:
        return exists().where(Referral.feedback_id == Feedback.id)
    latest, later = aliased(Referral), aliased(Referral)
    superseded = exists().where(
        later.feedback_id == latest.feedback_id,
        tuple_(later.created_at, later.id) > tuple_(latest.created_at, latest.id),
    )
    return exists().where(latest.feedback_id == Feedback.id, latest.status == referral, ~superseded)


# --- word search --------------------------------------------------------------------------

# SQLite: the FTS5 table over feedback.search_text (migration 0011), whose rowid is the feedback's id.
_FTS = table("feedback_search", column("rowid"), column("feedback_search"))
# PostgreSQL: exactly the expression the GIN index ix_feedback_search is built on (literals, not bound
# parameters), or the planner cannot use the index and computes it for every row.
_TSVECTOR = func.to_tsvector(literal_column("'simple'"), func.coalesce(Feedback.search_text, literal_column("''")))


# Up to this many texts matching the words are read by their ids; more are met along the list's order (SQLite).
FEW_HITS = 5_000


def search_words(q: str) -> list[str]:
    """The folded words of a search as both indexes cut text into words (`_` is not part of a word there)."""
    pieces = [piece for word in search.words(q) for piece in word.split("_") if piece]
    return pieces[: search.MAX_WORDS]


def _searched(db: Session, query: Select, q: str) -> Select:
    """`query` narrowed to texts holding every word of `q`, the last one as the start of a word (as people
    type): `ecole` finds `école`, `denmisenw` finds `denmisɛnw`, `lat` finds `latrines`."""
    words = search_words(q)
    if not words:  # only signs: no word to look for, so nothing is found (rather than everything)
        return query.where(false())
    if db.get_bind().dialect.name == "postgresql":
        # Each word quoted as a lexeme ('' doubles a quote, \\ a backslash), joined by AND; the last a prefix.
        terms = ["'" + word.replace("\\", "\\\\").replace("'", "''") + "'" for word in words]
        matches = _TSVECTOR.op("@@")(func.to_tsquery(literal_column("'simple'"), " & ".join(terms) + ":*"))
        hits, dense = select(Feedback.id).where(matches), matches
    else:
        # FTS5: each word a quoted string ("" doubles a quote), side by side meaning AND; `*` after the last, a prefix.
        match = " ".join('"' + word.replace('"', '""') + '"' for word in words) + "*"
        hits = select(_FTS.c.rowid).where(_FTS.c.feedback_search.op("MATCH")(match))
        dense = (Feedback.id + 0).in_(hits)  # `id + 0`: SQLite must not turn them into look-ups by id
    # Neither database can tell well how many texts a word (or the start of one) matches, so they walk the
    # list's order until enough match: a word that matches nothing then reads every row (seconds on a million).
    # So the index is asked first, which costs little: a few matches are read by their ids, then sorted; many
    # are met soon enough along the list's order.
    found = list(db.scalars(hits.limit(FEW_HITS + 1)))
    if len(found) > FEW_HITS:
        return query.where(dense)
    return query.where(Feedback.id.in_(found)) if found else query.where(false())


def _selection(db: Session, user: StaffUser, filters: Filters, tz: tzinfo) -> tuple[Select, Feedback | None]:
    """What `filters` select for `user`; and the case, if the search spells the reference of one they may see."""
    query = _filtered(db, user, filters, tz)
    if filters.q:
        reference = references.looks_like_one(filters.q)
        if reference is not None:
            # A reference is unique: one indexed look-up; if none matches, the words are searched.
            found = db.scalar(_loaded(query.where(Feedback.reference == reference)))
            if found is not None:
                return query, found
        query = _searched(db, query, filters.q)
    return query, None


def _loaded(query: Select) -> Select:
    return query.options(selectinload(Feedback.site), selectinload(Feedback.assignee), selectinload(Feedback.contact))


def feedback_page(
    db: Session,
    user: StaffUser,
    filters: Filters,
    before: str | None = None,
    limit: int = PAGE_SIZE,
    tz: tzinfo = UTC,
) -> Page:
    """One page, in the order `filters.sort` names, of what `user` may see through `filters`, after the cursor
    `before` (made by the previous page in the same order)."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    cursor = decode_cursor(before, filters.sort) if before else None
    query, found = _selection(db, user, filters, tz)
    if found is not None:
        return Page([found], None) if cursor is None else Page([], None)
    if filters.sort == DUE:
        rows = _due_first(db, query, cursor, limit + 1)
    else:
        rows = _by_date(db, query, filters.sort == NEWEST, cursor, limit + 1)
    if len(rows) > limit:
        rows = rows[:limit]
        return Page(rows, _cursor_after(rows[-1], filters.sort))
    return Page(rows, None)


def _by_date(db: Session, query: Select, newest: bool, cursor, count: int) -> list[Feedback]:
    """The first `count` rows after `cursor`, newest or oldest first, read along a (…, created_at, id) index."""
    key = tuple_(Feedback.created_at, Feedback.id)
    if cursor is not None:
        query = query.where(key < cursor if newest else key > cursor)
    order = (Feedback.created_at.desc(), Feedback.id.desc()) if newest else (Feedback.created_at, Feedback.id)
    return list(db.scalars(_loaded(query.order_by(*order).limit(count))))


def _due_first(db: Session, query: Select, cursor, count: int) -> list[Feedback]:
    """The first `count` rows after `cursor`, what is due first along ix_feedback_due (due_at, id); then the
    cases without a due date (done, or sign-ups), newest made first. Two queries, each along the index, rather
    than `NULLS LAST`, which SQLite cannot read from an index and so would sort everything."""
    due_at, after_id = cursor if cursor is not None else (None, None)
    rows: list[Feedback] = []
    if cursor is None or due_at is not None:
        dated = query.where(Feedback.due_at.is_not(None))
        if cursor is not None:
            dated = dated.where(tuple_(Feedback.due_at, Feedback.id) > (due_at, after_id))
        rows = list(db.scalars(_loaded(dated.order_by(Feedback.due_at, Feedback.id).limit(count))))
    if len(rows) < count:
        undated = query.where(Feedback.due_at.is_(None))
        if cursor is not None and due_at is None:
            undated = undated.where(Feedback.id < after_id)
        rows += db.scalars(_loaded(undated.order_by(Feedback.id.desc()).limit(count - len(rows))))
    return rows


def count_feedback(db: Session, user: StaffUser, filters: Filters, tz: tzinfo = UTC, cap: int | None = None) -> Count:
    """How many items `feedback_page` would show through `filters` in all its pages, up to `cap` (COUNT_CAP)."""
    cap = cap or COUNT_CAP
    query, found = _selection(db, user, filters, tz)
    if found is not None:
        return Count(1, False)
    capped = query.with_only_columns(Feedback.id).order_by(None).limit(cap + 1).subquery()
    number = db.scalar(select(func.count()).select_from(capped))
    return Count(min(number, cap), number > cap)


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
