"""One case at /admin/cases/{reference}: what came in, the conversation, and every staff action on it.

Every route finds the case through `_find`, which answers a case `access.may_see` refuses exactly
like one that does not exist (404, the same page), so a URL reveals nothing. Actions are forms
(CSRF-checked), carried out by `bot.admin.lifecycle`, committed, then their texts queued for sending;
each answers with a redirect back to the page and a flash message saying what happened.
"""

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from cryptography.fernet import InvalidToken
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.admin import lifecycle
from bot.admin.access import CONFIDENTIAL_ROLES, DESK_ROLES, mask_phone, may_reveal_phone, may_see
from bot.admin.labels import CATEGORY_LABELS, CHANNEL_LABELS, KIND_LABELS, N_, STATUS_LABELS, language_name
from bot.admin.lifecycle import Outbox, Refused
from bot.admin.security import DB, Form, Staff
from bot.effects import clean_reference
from bot.models import CannedReply, CaseEvent, CaseNote, Contact, Feedback, Message, Site, StaffUser
from bot.web.common import AfterCommit

router = APIRouter(prefix="/admin/cases")

CONVERSATION_SHOWN = 200  # the most recent messages of the person, oldest first
FLASHES = "flashes"

# The buttons that move a case on, by the status they lead to.
STEP_LABELS = {
    "acknowledged": N_("Acknowledge"),
    "in_progress": N_("Start work"),
    "referred": N_("Refer to a partner"),
    "resolved": N_("Resolve"),
    "closed": N_("Close"),
}
REOPEN_LABEL = N_("Reopen")
CALLBACK_LABELS = {
    "this_number": N_("Yes, on this number"),
    "other": N_("Yes, on another number or at a set time"),
    "no": N_("No, do not call"),
}
# What became of a text sent to the person, as staff read it.
OUT_STATUS_LABELS = {
    "replied": N_("answered at once"),
    "pending": N_("waiting to be sent"),
    "claimed": N_("being sent"),
    "retry": N_("waiting to be sent again"),
    "queued": N_("sent"),
    "sending": N_("sent"),
    "sent": N_("sent"),
    "delivered": N_("delivered"),
    "read": N_("read"),
    "undelivered": N_("not delivered"),
    "failed": N_("not sent: it failed"),
    "unknown": N_("maybe sent: check with the provider"),
    "cancelled": N_("not sent: the person opted out or refused consent"),
}
NOT_REACHABLE = N_("not sent: the person opted out or refused consent")


# --- finding the case ------------------------------------------------------------------------------


def _find(db: Session, user: StaffUser, reference: str) -> Feedback | None:
    """The case, or None when there is none or `user` may not see it: the same answer either way."""
    cleaned = clean_reference(reference)
    if not cleaned or len(cleaned) > 12:
        return None
    feedback = db.scalar(
        select(Feedback)
        .where(Feedback.reference == cleaned)
        .options(selectinload(Feedback.site), selectinload(Feedback.assignee), selectinload(Feedback.contact))
    )
    return feedback if feedback is not None and may_see(user, feedback) else None


def _missing(request: Request) -> Response:
    return _no_store(request.app.state.interface.render(request, "case_missing.html", status_code=404))


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"  # personal data: not kept in shared or browser caches
    return response


# --- flashes ---------------------------------------------------------------------------------------


def flash(request: Request, kind: str, text: str) -> None:
    request.session[FLASHES] = [*request.session.get(FLASHES, []), [kind, text]]


def pop_flashes(request: Request) -> list[tuple[str, str]]:
    return [(kind, text) for kind, text in request.session.pop(FLASHES, [])]


# --- the page --------------------------------------------------------------------------------------


def _when(value: datetime | None, tz: ZoneInfo) -> dict | None:
    if value is None:
        return None
    local = value.astimezone(tz)
    return {"iso": local.isoformat(timespec="seconds"), "text": local.strftime("%Y-%m-%d %H:%M")}


def _decrypted(vault, token: str | None) -> str | None:
    if not token:
        return None
    try:
        return vault.decrypt(token)
    except InvalidToken:
        return None


def _out_status(message: Message, contact: Contact, _) -> str:
    unreachable = contact.opted_out_at is not None or contact.phone_encrypted is None
    if unreachable and message.status in ("pending", "claimed", "retry", "cancelled"):
        return _(NOT_REACHABLE)
    return _(OUT_STATUS_LABELS[message.status]) if message.status in OUT_STATUS_LABELS else (message.status or "")


def _conversation(request: Request, db: Session, user: StaffUser, feedback: Feedback, tz: ZoneInfo, _) -> dict:
    contact = feedback.contact
    query = select(Message).where(Message.contact_id == contact.id)
    if user.role not in CONFIDENTIAL_ROLES:
        # Not even that a confidential conversation took place.
        query = query.where(Message.confidential.is_(False))
    recent = list(
        db.scalars(query.order_by(Message.created_at.desc(), Message.id.desc()).limit(CONVERSATION_SHOWN + 1))
    )
    more = len(recent) > CONVERSATION_SHOWN
    recent = list(reversed(recent[:CONVERSATION_SHOWN]))
    vault = request.app.state.runtime.vault
    staff_sent = {
        detail["message_id"]: email
        for detail, email in db.execute(
            select(CaseEvent.detail, StaffUser.email)
            .join(StaffUser, StaffUser.id == CaseEvent.actor_id)
            .where(CaseEvent.feedback_id == feedback.id, CaseEvent.action.in_(("replied", "status_changed")))
        )
        if detail and detail.get("message_id")
    }
    rows = []
    for message in recent:
        row = {
            "incoming": message.direction == "in",
            "when": _when(message.created_at, tz),
            "channel": _(CHANNEL_LABELS[message.channel]) if message.channel in CHANNEL_LABELS else message.channel,
            "text": (_decrypted(vault, message.text_encrypted) if message.confidential else message.text) or "",
            "redacted": message.redacted,
            "media": len(message.media or []),
            "this_case": message.id == feedback.message_id,
            "by": staff_sent.get(message.id),
        }
        if message.direction == "out":
            row["status"] = _out_status(message, contact, _)
            row["error"] = message.error_code
        rows.append(row)
    return {"messages": rows, "more": more}


def _describe(event: CaseEvent, _, site_names: dict[str, str]) -> str:
    """One line of the audit trail, in the reader's language."""
    detail = event.detail or {}

    def status(value: str | None) -> str:
        return _(STATUS_LABELS[value]) if value in STATUS_LABELS else (value or "")

    match event.action:
        case "status_changed" | "reopened":
            text = _("Reopened: %(old)s → %(new)s") if event.action == "reopened" else _("Status: %(old)s → %(new)s")
            text %= {"old": status(detail.get("from")), "new": status(detail.get("to"))}
            if detail.get("outcome"):
                text += " · " + _("What was done: %(outcome)s") % {"outcome": detail["outcome"]}
            if detail.get("message_id"):
                text += " · " + _("the person was told by text message")
            return text
        case "assigned":
            return _("Assigned to %(email)s") % {"email": detail["to"]} if detail.get("to") else _("Unassigned")
        case "coded":
            named = {
                "kind": lambda value: _(KIND_LABELS[value]) if value in KIND_LABELS else value,
                "category": lambda value: _(CATEGORY_LABELS[value]) if value in CATEGORY_LABELS else value,
                "site": lambda value: site_names.get(value, value),
                "tags": lambda value: ", ".join(value),
            }
            parts = []
            for name, (old, new) in detail.items():
                show = named.get(name, str)
                before, after = (show(old) if old else "") or "–", (show(new) if new else "") or "–"
                parts.append(f"{_(FIELD_LABELS.get(name, name))}: {before} → {after}")
            return _("Coded") + " · " + "; ".join(parts)
        case "note_added":
            return _("Added a note")
        case "replied":
            return _("Replied by text message")
        case "phone_revealed":
            return _("Showed the phone number")
    return event.action


FIELD_LABELS = {"kind": N_("Kind"), "category": N_("Category"), "site": N_("Site"), "tags": N_("Tags")}


def _sites_for(db: Session, user: StaffUser) -> list[Site]:
    sites = list(db.scalars(select(Site).where(Site.active).order_by(Site.position, Site.name)))
    if user.role == "triage" and user.sites:
        mine = {site.id for site in user.sites}
        sites = [site for site in sites if site.id in mine]
    return sites


def _canned(db: Session, requested: str | None, lang: str, lang_name: str, default: str, _) -> dict:
    """The canned replies to choose from, and the text of the chosen one in the person's language."""
    replies = list(db.scalars(select(CannedReply).order_by(CannedReply.title)))
    chosen = next((r for r in replies if requested and requested.isdigit() and r.id == int(requested)), None)
    draft, warning = "", None
    if chosen is not None:
        draft = chosen.texts.get(lang) or ""
        if not draft:
            draft = chosen.texts.get(default) or next(iter(chosen.texts.values()), "")
            warning = _(
                "This reply has no %(language)s text: another language's is filled in; rewrite it before sending."
            ) % {"language": lang_name}
    elif requested:
        warning = _("That canned reply no longer exists.")
    return {
        "choices": [(r.id, r.title) for r in replies],
        "chosen": chosen.id if chosen else None,
        "draft": draft,
        "warning": warning,
    }


def _page(
    request: Request,
    db: Session,
    user: StaffUser,
    feedback: Feedback,
    *,
    revealed: str | None = None,
    canned: str | None = None,
) -> Response:
    runtime = request.app.state.runtime
    interface = request.app.state.interface
    _ = interface.gettext(request)
    tz = ZoneInfo(runtime.settings.timezone)
    contact = feedback.contact
    outbox = Outbox.of(runtime)
    lang = outbox.language(feedback)
    number = _decrypted(runtime.vault, contact.phone_encrypted)

    steps = [
        {
            "status": step,
            "label": _(REOPEN_LABEL if lifecycle.is_reopening(feedback.status, step) else STEP_LABELS[step]),
        }
        for step in lifecycle.next_steps(feedback)
    ]
    staff = db.scalars(
        select(StaffUser)
        .where(StaffUser.role.in_(sorted(DESK_ROLES)), StaffUser.active.is_(True))
        .order_by(StaffUser.email)
        .options(selectinload(StaffUser.sites))
    )
    events = db.scalars(
        select(CaseEvent)
        .where(CaseEvent.feedback_id == feedback.id)
        .order_by(CaseEvent.created_at, CaseEvent.id)
        .options(selectinload(CaseEvent.actor))
    )
    notes = db.scalars(
        select(CaseNote)
        .where(CaseNote.feedback_id == feedback.id)
        .order_by(CaseNote.created_at, CaseNote.id)
        .options(selectinload(CaseNote.author))
    )
    site_names = dict(db.execute(select(Site.slug, Site.name)).all())
    confidential = None
    if feedback.confidential and user.role in CONFIDENTIAL_ROLES:
        confidential = {
            "text": _decrypted(runtime.vault, feedback.text_encrypted),
            "callback": _(CALLBACK_LABELS[feedback.callback]) if feedback.callback in CALLBACK_LABELS else None,
            "details": _decrypted(runtime.vault, feedback.callback_details_encrypted),
        }
    channel = lifecycle.outbound_channel(feedback)
    kind = feedback.kind
    context = {
        "case": feedback,
        "flashes": pop_flashes(request),
        "label": lambda labels, value: _(labels[value]) if value in labels else (value or ""),
        "labels": {
            "kind": KIND_LABELS,
            "category": CATEGORY_LABELS,
            "channel": CHANNEL_LABELS,
            "status": STATUS_LABELS,
        },
        "language_name": language_name(request, feedback.language),
        "person_language": lang,
        "created": _when(feedback.created_at, tz),
        "updated": _when(feedback.updated_at, tz),
        "first_response": _when(feedback.first_response_at, tz),
        "resolved": _when(feedback.resolved_at, tz),
        "phone": mask_phone(number) if number else None,
        "revealed": revealed,
        "may_reveal": number is not None and may_reveal_phone(user, feedback),
        "confidential": confidential,
        "steps": steps,
        "outcome_max": lifecycle.OUTCOME_MAX_CHARS,
        "reply_max": lifecycle.REPLY_MAX_CHARS,
        "note_max": lifecycle.NOTE_MAX_CHARS,
        "assignees": [(member.id, member.email) for member in staff if may_see(member, feedback)],
        "kinds": lifecycle.CODABLE_KINDS if kind in lifecycle.CODABLE_KINDS else None,
        "categories": lifecycle.CATEGORIES.get(kind) if kind != "assembly" else None,
        "sites": [(site.slug, site.name) for site in _sites_for(db, user)] if kind != "assembly" else None,
        "tags": ", ".join(feedback.tags or []),
        "may_text": lifecycle.may_text(feedback),
        "texts_to": {
            "channel": channel,
            "opted_out": contact.opted_out_at is not None,
            "erased": contact.phone_encrypted is None,
            "no_provider": channel not in runtime.senders,
        },
        "canned": _canned(db, canned, lang, language_name(request, lang), outbox.catalogues.default, _),
        "conversation": _conversation(request, db, user, feedback, tz, _),
        "notes": [{"author": n.author.email, "when": _when(n.created_at, tz), "text": n.text} for n in notes],
        "trail": [
            {
                "who": e.actor.email if e.actor else "baro",
                "when": _when(e.created_at, tz),
                "what": _describe(e, _, site_names),
            }
            for e in events
        ],
    }
    return _no_store(interface.render(request, "case.html", **context))


@router.get("/{reference}")
def case_page(request: Request, reference: str, user: Staff, db: DB, canned: str | None = None) -> Response:
    feedback = _find(db, user, reference)
    if feedback is None:
        return _missing(request)
    return _page(request, db, user, feedback, canned=canned)


# --- actions ---------------------------------------------------------------------------------------


def _act(
    request: Request,
    db: Session,
    user: StaffUser,
    reference: str,
    action: Callable[[Feedback, Callable[[str], str]], tuple[str | None, list[tuple[int, str]]]],
) -> Response:
    """Carry out `action` (which returns a flash text and the messages to send), commit, queue, go back."""
    feedback = _find(db, user, reference)
    if feedback is None:
        return _missing(request)
    _ = request.app.state.interface.gettext(request)
    back = f"/admin/cases/{feedback.reference}"
    try:
        done, sends = action(feedback, _)
    except Refused as refused:
        db.rollback()
        flash(request, "error", refused.text(_))
        return RedirectResponse(back, status_code=303)
    db.commit()
    AfterCommit(messages=sends).run(request.app.state.runtime)
    if done:
        flash(request, "info", done)
    if not may_see(user, feedback):  # e.g. moved to a site this user does not cover
        flash(request, "info", _("The case is now outside your sites."))
        return RedirectResponse("/admin/inbox", status_code=303)
    return RedirectResponse(back, status_code=303)


def _field(form, name: str) -> str:
    return str(form.get(name) or "").strip()


@router.post("/{reference}/status")
def set_status(request: Request, reference: str, user: Staff, db: DB, form: Form) -> Response:
    outbox = Outbox.of(request.app.state.runtime)

    def action(feedback: Feedback, _):
        new = _field(form, "status")
        was = feedback.status
        sends = lifecycle.change_status(db, feedback, user, new, _field(form, "outcome") or None, outbox)
        label = _(STATUS_LABELS[new])
        if lifecycle.is_reopening(was, new):
            return _("Case reopened: %(status)s.") % {"status": label}, sends
        text = _("Status changed to %(status)s.") % {"status": label}
        if new == "resolved":
            text += " " + (
                _("The person is told what was done by text message.")
                if sends
                else _("No text message for a confidential report: tell the person by a call, if they agreed to one.")
            )
        return text, sends

    return _act(request, db, user, reference, action)


@router.post("/{reference}/assign")
def set_assignee(request: Request, reference: str, user: Staff, db: DB, form: Form) -> Response:
    def action(feedback: Feedback, _):
        chosen = _field(form, "assignee")
        assignee = db.get(StaffUser, int(chosen)) if chosen.isdigit() else None
        if chosen and assignee is None:
            raise Refused(N_("Unknown staff member."))
        if not lifecycle.assign(db, feedback, user, assignee):
            return _("Nothing changed."), []
        if assignee is None:
            return _("The case is assigned to nobody."), []
        return _("Assigned to %(email)s.") % {"email": assignee.email}, []

    return _act(request, db, user, reference, action)


@router.post("/{reference}/code")
def set_code(request: Request, reference: str, user: Staff, db: DB, form: Form) -> Response:
    def action(feedback: Feedback, _):
        site = None
        slug = _field(form, "site")
        if slug:
            site = next((s for s in _sites_for(db, user) if s.slug == slug), None)
            if site is None:
                raise Refused(N_("Unknown site, or not one of yours."))
        changes = lifecycle.code(
            db,
            feedback,
            user,
            kind=_field(form, "kind") or None,
            category=_field(form, "category") or None,
            site=site,
            tags=str(form.get("tags") or "") if "tags" in form else None,
        )
        return (_("Coding saved.") if changes else _("Nothing changed.")), []

    return _act(request, db, user, reference, action)


@router.post("/{reference}/note")
def add_note(request: Request, reference: str, user: Staff, db: DB, form: Form) -> Response:
    def action(feedback: Feedback, _):
        lifecycle.add_note(db, feedback, user, str(form.get("text") or ""))
        return _("Note added."), []

    return _act(request, db, user, reference, action)


@router.post("/{reference}/reply")
def send_reply(request: Request, reference: str, user: Staff, db: DB, form: Form) -> Response:
    runtime = request.app.state.runtime
    outbox = Outbox.of(runtime)

    def action(feedback: Feedback, _):
        canned = _field(form, "canned")
        canned_id = int(canned) if canned.isdigit() and db.get(CannedReply, int(canned)) else None
        was = feedback.status
        sends = lifecycle.reply(db, feedback, user, str(form.get("text") or ""), outbox, canned_id)
        contact = feedback.contact
        if contact.opted_out_at is not None or contact.phone_encrypted is None:
            done = _("The reply is stored but will not be sent: the person opted out or refused consent.")
        elif lifecycle.outbound_channel(feedback) not in runtime.senders:
            done = _("The reply is stored but cannot be sent: no provider is configured for this channel.")
        else:
            done = _("Reply on its way.")
        if was != feedback.status:
            done += " " + _("The case is now %(status)s.") % {"status": _(STATUS_LABELS[feedback.status])}
        return done, sends

    return _act(request, db, user, reference, action)


@router.post("/{reference}/reveal")
def reveal(request: Request, reference: str, user: Staff, db: DB, form: Form) -> Response:
    """The whole number, on this answer only (never in a redirect or the session); the reveal is in the trail."""
    feedback = _find(db, user, reference)
    if feedback is None:
        return _missing(request)
    _ = request.app.state.interface.gettext(request)
    back = RedirectResponse(f"/admin/cases/{feedback.reference}", status_code=303)
    if not may_reveal_phone(user, feedback):
        flash(request, "error", _("You may not see this number."))
        return back
    try:
        number = lifecycle.reveal_phone(db, feedback, user, request.app.state.runtime.vault)
    except Refused as refused:
        db.rollback()
        flash(request, "error", refused.text(_))
        return back
    db.commit()
    return _page(request, db, user, feedback, revealed=number)
