"""The life of a case at the desk: its statuses, the steps allowed between them, and every staff action.

No HTTP here. Each action changes the case, writes its CaseEvent (who, when, what: the audit trail)
and returns the outbound messages it stored, as (message id, lane) to hand to RQ once the caller
has committed (bot.handover). A refused action raises `Refused`, whose message staff can read.

Texts to the person go out in their language on the channel they used (USSD cannot be reached
outbound, so SMS instead), written in that channel's alphabet. Never to a confidential report's
author: a text stays on a phone that others may read, so protection staff call back instead, when
the person said they may.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.cases import targets
from bot.cases.access import may_reveal_phone, may_see
from bot.cases.sealed import outcome_of, seal, tags_of
from bot.config import Settings
from bot.i18n import Catalogues
from bot.models import CaseEvent, CaseNote, Feedback, Site, StaffUser, utcnow
from bot.notices import REPLY, RESOLVED
from bot.outbound.gsm7 import prepare
from bot.outbound.store import queue_message
from bot.vault import Vault
from bot.vocabulary import CATEGORIES, DONE, CaseStatus, Channel, Kind, Lane
from bot.vocabulary import N_ as N_

# Where a resolved or closed case goes back to when it is reopened.
REOPEN_TO = CaseStatus.IN_PROGRESS
# The steps staff may take from each status. A case may skip ahead (a problem fixed on the spot is
# resolved at once) but is closed only once resolved, and leaves resolved or closed only by reopening.
TRANSITIONS: dict[CaseStatus, tuple[CaseStatus, ...]] = {
    CaseStatus.NEW: (CaseStatus.ACKNOWLEDGED, CaseStatus.IN_PROGRESS, CaseStatus.REFERRED, CaseStatus.RESOLVED),
    CaseStatus.ACKNOWLEDGED: (CaseStatus.IN_PROGRESS, CaseStatus.REFERRED, CaseStatus.RESOLVED),
    CaseStatus.IN_PROGRESS: (CaseStatus.REFERRED, CaseStatus.RESOLVED),
    CaseStatus.REFERRED: (CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED),
    CaseStatus.RESOLVED: (CaseStatus.CLOSED, REOPEN_TO),
    CaseStatus.CLOSED: (REOPEN_TO,),
}

# What staff may code. Confidential reports and assembly sign-ups keep their kind (the first decides
# who may read it, the second is a place at an assembly); an assembly sign-up's category is its
# place or waiting-list status, and its site the assembly's. Each kind's categories are the
# vocabulary's, the ones its flow offers.
CODABLE_KINDS = (Kind.COMPLAINT, Kind.NEED)

# Texts to the person are SMS: what was done fits in one part or two with the sentence around it.
OUTCOME_MAX_CHARS = 160
REPLY_MAX_CHARS = 480
NOTE_MAX_CHARS = 4000
TAG_MAX_CHARS = 40
MAX_TAGS = 20

SIGNUP_HAS_ITS_OWN_STATUSES = N_(
    "An assembly sign-up has its own statuses (signed up, waiting list, cancelled, attended): "
    "organizers change them on the assembly's page."
)
REOPEN_FIRST = N_("This case is closed: reopen it first to reply.")
HAS_BLANKS = N_("Fill in the blanks (%(blanks)s) before sending.")
# What a canned reply leaves for staff to fill in: "..." (or "…") and {placeholder}. A {placeholder} never
# belongs in a text to a person; "..." may be a writer's ellipsis, so it stops only a canned reply.
_PLACEHOLDER = re.compile(r"\{[^{}\n]*\}")
_DOTS = re.compile(r"\.\.\.|…")
NO_TEXTS_WHEN_CONFIDENTIAL = N_(
    "No text messages about a confidential report: others may read the person's phone. Call back if they agreed to it."
)


class Refused(ValueError):
    """An action the lifecycle does not allow.

    `message` is an English msgid of the `admin` domain with %(name)s placeholders; the parameters
    named in `labels` are msgids too (a status's name), translated with it.
    """

    def __init__(self, message: str, params: Mapping[str, str] | None = None, labels: tuple[str, ...] = ()):
        self.message, self.params, self.labels = message, dict(params or {}), labels
        super().__init__(self.text())

    def text(self, gettext=lambda message: message) -> str:
        params = {key: gettext(value) if key in self.labels else value for key, value in self.params.items()}
        return gettext(self.message) % params


@dataclass(frozen=True)
class Desk:
    """What every action needs beyond the database: how a text to the person is written (the phone
    catalogues, each outbound channel's alphabet), and the vault that seals what is confidential."""

    catalogues: Catalogues
    settings: Settings
    vault: Vault

    def language(self, feedback: Feedback) -> str:
        """The person's language: the one they wrote this in, else their current one, else the default.

        A language the line no longer speaks is passed over, so a case written in it is answered in
        the person's current language rather than in the default one.
        """
        current = feedback.contact.language if feedback.contact else None
        return next(
            (lang for lang in (feedback.language, current) if lang in self.catalogues.languages),
            self.catalogues.default,
        )

    def write(self, feedback: Feedback, text: str) -> str:
        return prepare(text, self.settings.alphabet(outbound_channel(feedback)))

    def addressed(self, feedback: Feedback, text: str) -> str:
        """A staff reply as the person receives it: naming the case it is about, in their language."""
        return self.catalogues.fill(self.language(feedback), REPLY, {"reference": feedback.reference, "text": text})


def outbound_channel(feedback: Feedback) -> Channel:
    """The channel the person wrote from, or SMS for one that cannot be reached from here (USSD)."""
    return Channel(feedback.channel).outbound if Channel.has(feedback.channel) else Channel.SMS


def may_text(feedback: Feedback) -> bool:
    """Whether staff may send the person texts about this case at all."""
    return not feedback.confidential


def blanks(text: str, canned: bool) -> list[str]:
    """The blanks left in `text`, in order; "..." counts only in a canned reply."""
    found = list(_PLACEHOLDER.finditer(text)) + (list(_DOTS.finditer(text)) if canned else [])
    return [match.group(0) for match in sorted(found, key=lambda match: match.start())]


def has_case_lifecycle(feedback: Feedback) -> bool:
    """Not an assembly sign-up: a place, with its own statuses (bot.assemblies), never acknowledged or resolved."""
    return feedback.kind != Kind.ASSEMBLY


def next_steps(feedback: Feedback) -> tuple[CaseStatus, ...]:
    return TRANSITIONS.get(feedback.status, ()) if has_case_lifecycle(feedback) else ()


def is_reopening(old: str, new: str) -> bool:
    return old in DONE and new == REOPEN_TO


# --- the actions ---------------------------------------------------------------------------------


def _record(
    db: Session, desk: Desk, feedback: Feedback, actor: StaffUser, action: str, detail: dict | None, now: datetime
) -> None:
    clear, sealed = seal(desk.vault, feedback, detail)
    event = CaseEvent(feedback_id=feedback.id, actor_id=actor.id, action=action, created_at=now)
    event.detail, event.detail_encrypted = clear, sealed
    db.add(event)


def _changed(feedback: Feedback, now: datetime) -> None:
    feedback.updated_at = now
    targets.refresh(feedback)


def _answered(feedback: Feedback, now: datetime) -> None:
    """The first staff action that acknowledges or answers the person starts the response clock's end."""
    if feedback.first_response_at is None:
        feedback.first_response_at = now


def _text_person(db: Session, feedback: Feedback, desk: Desk, text: str) -> int:
    return queue_message(db, feedback.contact_id, outbound_channel(feedback), desk.write(feedback, text)).id


def _required(text: str | None, limit: int, empty: str, too_long: str) -> str:
    text = (text or "").strip()
    if not text:
        raise Refused(empty)
    if len(text) > limit:
        raise Refused(too_long, {"limit": str(limit), "length": str(len(text))})
    return text


def change_status(
    db: Session,
    feedback: Feedback,
    actor: StaffUser,
    new_status: str,
    outcome: str | None = None,
    *,
    desk: Desk,
) -> list[tuple[int, str]]:
    """Move the case one allowed step; resolving needs `outcome`, which is texted to the person."""
    if not has_case_lifecycle(feedback):
        raise Refused(SIGNUP_HAS_ITS_OWN_STATUSES)
    old = feedback.status
    if not CaseStatus.has(new_status):
        raise Refused(N_("Unknown status “%(status)s”."), {"status": new_status[:40]})
    new_status = CaseStatus(new_status)
    if new_status == old:
        raise Refused(N_("The case is already “%(status)s”."), {"status": new_status.label}, ("status",))
    if new_status not in TRANSITIONS.get(old, ()):
        raise Refused(
            N_("A case cannot go from “%(old)s” to “%(new)s”."),
            {"old": CaseStatus(old).label if CaseStatus.has(old) else old, "new": new_status.label},
            ("old", "new"),
        )
    if new_status == CaseStatus.RESOLVED:
        outcome = _required(
            outcome,
            OUTCOME_MAX_CHARS,
            N_("To resolve a case, say what was done: the person is told."),
            N_("What was done must fit in %(limit)s characters (it is an SMS); it has %(length)s."),
        )
    # Compare and set: of two staff moving the case at once, one wins and the other is told, so
    # the person is never sent the closing message twice.
    moved = db.execute(
        update(Feedback)
        .where(Feedback.id == feedback.id, Feedback.status == old)
        .values(status=new_status)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        raise Refused(N_("Someone else changed this case meanwhile: look at it again."))
    now = utcnow()
    detail: dict = {"from": old, "to": new_status}
    sends: list[tuple[int, str]] = []
    if new_status == CaseStatus.RESOLVED:
        feedback.outcome, feedback.outcome_encrypted = seal(desk.vault, feedback, outcome)
        feedback.resolved_at = now
        detail["outcome"] = outcome
        if may_text(feedback):
            lang = desk.language(feedback)
            text = desk.catalogues.fill(lang, RESOLVED, {"reference": feedback.reference, "outcome": outcome})
            message_id = _text_person(db, feedback, desk, text)
            detail.update(message_id=message_id, language=lang)
            sends.append((message_id, Lane.REPLY))
    elif is_reopening(old, new_status):
        # Its outcome was told for a resolution that no longer holds; the trail keeps it.
        feedback.outcome, feedback.outcome_encrypted, feedback.resolved_at = None, None, None
    if new_status != CaseStatus.NEW:
        _answered(feedback, now)
    feedback.status = new_status
    _changed(feedback, now)
    _record(db, desk, feedback, actor, "reopened" if is_reopening(old, new_status) else "status_changed", detail, now)
    if new_status in DONE:
        sends += _close_duplicates(db, feedback, actor, desk, now, {feedback.id})
    return sends


# --- duplicates (bot.cases.duplicates marks them) ----------------------------------------------------

# What bot.cases.duplicates writes with: the trail, and the case's last change (its deadline refreshed).
record, touch = _record, _changed



def close_as_duplicate(
    db: Session, duplicate: Feedback, original: Feedback, actor: StaffUser, desk: Desk, now: datetime
) -> list[tuple[int, str]]:
    """Close `duplicate` with its resolved or closed `original`, and its own duplicates with it.

    The person is told once: the original's closing text was theirs if they are the same person; someone else
    who reported the same thing gets the original's outcome under their own reference, once, as any resolution,
    if they read the language it was written in (staff answer the others themselves).
    """
    return _close_one(db, duplicate, original, actor, desk, now, {original.id})


def _close_duplicates(
    db: Session, original: Feedback, actor: StaffUser, desk: Desk, now: datetime, seen: set[int]
) -> list[tuple[int, str]]:
    found = db.scalars(
        select(Feedback)
        .where(Feedback.duplicate_of_id == original.id, Feedback.status != CaseStatus.CLOSED)
        .order_by(Feedback.id)
    )
    sends: list[tuple[int, str]] = []
    for duplicate in list(found):
        if duplicate.id not in seen:
            sends += _close_one(db, duplicate, original, actor, desk, now, seen)
    return sends


def _close_one(
    db: Session, duplicate: Feedback, original: Feedback, actor: StaffUser, desk: Desk, now: datetime, seen: set[int]
) -> list[tuple[int, str]]:
    seen.add(duplicate.id)
    old = duplicate.status
    sends: list[tuple[int, str]] = []
    detail: dict = {"from": old, "to": CaseStatus.CLOSED, "duplicate_of": original.reference}
    if old != CaseStatus.CLOSED:
        outcome = outcome_of(original, desk.vault)
        told = old in DONE or duplicate.contact_id == original.contact_id
        lang = desk.language(duplicate)
        # The outcome was written in the original's person's language: never sent to someone who reads another.
        same_language = lang == desk.language(original)
        if not told and same_language and outcome and may_text(duplicate) and has_case_lifecycle(duplicate):
            text = desk.catalogues.fill(lang, RESOLVED, {"reference": duplicate.reference, "outcome": outcome})
            message_id = _text_person(db, duplicate, desk, text)
            detail.update(message_id=message_id, language=lang)
            sends.append((message_id, Lane.REPLY))
        duplicate.status = CaseStatus.CLOSED
        if duplicate.resolved_at is None:
            duplicate.resolved_at = now
        _answered(duplicate, now)
        _changed(duplicate, now)
        _record(db, desk, duplicate, actor, "status_changed", detail, now)
    return sends + _close_duplicates(db, duplicate, actor, desk, now, seen)


def assign(db: Session, feedback: Feedback, actor: StaffUser, assignee: StaffUser | None, *, desk: Desk) -> bool:
    """Give the case to `assignee` (None: to nobody); False if it already was theirs."""
    if assignee is not None and (not assignee.active or not may_see(assignee, feedback)):
        raise Refused(
            N_("%(email)s cannot see this case, so it cannot be assigned to them."), {"email": assignee.email}
        )
    if (assignee.id if assignee else None) == feedback.assignee_id:
        return False
    now = utcnow()
    old = feedback.assignee
    detail = {
        "from": old.email if old else None,
        "from_id": old.id if old else None,
        "to": assignee.email if assignee else None,
        "to_id": assignee.id if assignee else None,
    }
    feedback.assignee_id = assignee.id if assignee else None
    feedback.assignee = assignee
    _changed(feedback, now)
    _record(db, desk, feedback, actor, "assigned", detail, now)
    return True


def clean_tags(raw: str | list[str] | None) -> list[str]:
    """Free tags, comma-separated: trimmed, spaces folded, the first spelling of each kept once."""
    items = raw.split(",") if isinstance(raw, str) else list(raw or [])
    tags: list[str] = []
    seen: set[str] = set()
    for item in items:
        tag = " ".join(str(item).split())
        if not tag or tag.casefold() in seen:
            continue
        if len(tag) > TAG_MAX_CHARS:
            raise Refused(
                N_("A tag is %(limit)s characters at most: “%(tag)s”."), {"limit": str(TAG_MAX_CHARS), "tag": tag[:60]}
            )
        seen.add(tag.casefold())
        tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise Refused(N_("%(limit)s tags at most."), {"limit": str(MAX_TAGS)})
    return tags


def code(
    db: Session,
    feedback: Feedback,
    actor: StaffUser,
    *,
    desk: Desk,
    kind: str | None = None,
    category: str | None = None,
    site: Site | None = None,
    tags: str | list[str] | None = None,
) -> dict:
    """Set what the case is about; None leaves a field as it is. Returns {field: [old, new]} of what changed."""
    changes: dict = {}
    if kind is not None and kind != feedback.kind:
        if feedback.kind not in CODABLE_KINDS or kind not in CODABLE_KINDS:
            raise Refused(N_("This case's kind cannot be changed."))
        changes["kind"] = [feedback.kind, kind]
    new_kind = kind or feedback.kind
    if category is not None and category != feedback.category:
        if category not in CATEGORIES.get(new_kind, ()):
            raise Refused(N_("“%(category)s” is not a category for this kind of case."), {"category": category[:40]})
        changes["category"] = [feedback.category, category]
    elif "kind" in changes and feedback.category not in CATEGORIES[new_kind]:
        raise Refused(N_("Choose a category for the new kind."))
    if site is not None and site.id != feedback.site_id:
        if feedback.kind == Kind.ASSEMBLY:
            raise Refused(N_("An assembly sign-up belongs to its assembly's site."))
        changes["site"] = [feedback.site.slug if feedback.site else None, site.slug]
    if tags is not None:
        cleaned, current = clean_tags(tags), tags_of(feedback, desk.vault)
        if cleaned != current:
            changes["tags"] = [current, cleaned]
    if not changes:
        return changes
    now = utcnow()
    if "kind" in changes:
        feedback.kind = kind
        targets.set_targets(feedback, desk.settings)
    if "category" in changes:
        feedback.category = category
    if "site" in changes:
        feedback.site_id, feedback.site = site.id, site
    if "tags" in changes:
        feedback.tags, feedback.tags_encrypted = seal(desk.vault, feedback, changes["tags"][1] or None)
    _changed(feedback, now)
    _record(db, desk, feedback, actor, "coded", changes, now)
    return changes


def add_note(db: Session, feedback: Feedback, actor: StaffUser, text: str, *, desk: Desk) -> CaseNote:
    """A note for staff; the person never sees it."""
    text = _required(
        text,
        NOTE_MAX_CHARS,
        N_("The note is empty."),
        N_("A note is %(limit)s characters at most; this one has %(length)s."),
    )
    now = utcnow()
    clear, sealed = seal(desk.vault, feedback, text)
    note = CaseNote(feedback_id=feedback.id, author_id=actor.id, text=clear, text_encrypted=sealed, created_at=now)
    db.add(note)
    db.flush()
    _changed(feedback, now)
    _record(db, desk, feedback, actor, "note_added", {"note_id": note.id}, now)
    return note


def reply(
    db: Session,
    feedback: Feedback,
    actor: StaffUser,
    text: str,
    desk: Desk,
    canned_reply_id: int | None = None,
) -> list[tuple[int, str]]:
    """Text the person, naming the case (they may have several). Stored even if they opted out (the send job
    then cancels it, and says so). Refused on a closed case (reopen it first), and with blanks left to fill.

    Answering a new case acknowledges it: the person's follow-up must not say nobody read it yet.
    """
    if not may_text(feedback):
        raise Refused(NO_TEXTS_WHEN_CONFIDENTIAL)
    if feedback.status == CaseStatus.CLOSED:
        raise Refused(REOPEN_FIRST)
    # A browser sends a line break as two characters: one is enough on a phone, and costs less.
    text = _required(
        (text or "").replace("\r\n", "\n"),
        REPLY_MAX_CHARS,
        N_("The reply is empty."),
        N_("A reply is %(limit)s characters at most (it is an SMS); this one has %(length)s."),
    )
    left = blanks(text, canned=canned_reply_id is not None)
    if left:
        raise Refused(HAS_BLANKS, {"blanks": " ".join(dict.fromkeys(left))})
    sends: list[tuple[int, str]] = []
    if feedback.status == CaseStatus.NEW and has_case_lifecycle(feedback):
        sends += change_status(db, feedback, actor, CaseStatus.ACKNOWLEDGED, desk=desk)
    now = utcnow()
    message_id = _text_person(db, feedback, desk, desk.addressed(feedback, text))
    detail = {"message_id": message_id, "channel": outbound_channel(feedback), "language": desk.language(feedback)}
    if canned_reply_id is not None:
        detail["canned_reply_id"] = canned_reply_id
    _answered(feedback, now)
    _changed(feedback, now)
    _record(db, desk, feedback, actor, "replied", detail, now)
    return [*sends, (message_id, Lane.REPLY)]


def reveal_phone(db: Session, feedback: Feedback, actor: StaffUser, desk: Desk) -> str:
    """The person's whole number, for a call; every reveal is in the trail. PermissionError if not allowed."""
    if not may_reveal_phone(actor, feedback):
        raise PermissionError("may not reveal this number")
    contact = feedback.contact
    if contact is None or not contact.phone_encrypted:
        raise Refused(N_("The number was erased: the person refused consent."))
    number = desk.vault.decrypt(contact.phone_encrypted)
    _record(db, desk, feedback, actor, "phone_revealed", None, utcnow())
    return number


# Where a confidential report was read: each read is in its trail (who, when, how).
READ_ON_PAGE, READ_IN_EXPORT, READ_THROUGH_API = "read_page", "read_export", "read_api"


def record_reads(db: Session, feedbacks: list[Feedback], reader: StaffUser, how: str) -> None:
    """Write in the trail of each confidential report among `feedbacks` that `reader` read it, and how."""
    now = utcnow()
    for feedback in feedbacks:
        if feedback.confidential:
            db.add(CaseEvent(feedback_id=feedback.id, actor_id=reader.id, action=how, created_at=now))

