"""One case at /admin/cases/{reference}: the page, the person's paged history, the forms that act on it, and the
reply counter's script.

Every route finds the case through `bot.cases.queries.feedback_by_reference`, which answers a case
the user may not see exactly like one that does not exist (404, the same page), so a URL reveals
nothing. Actions are forms (CSRF-checked), carried out by `bot.cases.lifecycle`, committed, then
their texts handed to RQ; each answers with a redirect back to the page and a flash message.
"""

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from bot.admin import referrals
from bot.admin.trail import describe
from bot.cases import duplicates, lifecycle
from bot.cases.access import may_reveal_phone, may_see, organizes, sites_of
from bot.cases.duplicates import Link
from bot.cases.lifecycle import Desk, Refused
from bot.cases.queries import feedback_by_reference
from bot.cases.view import CaseView, File, Line, canned_text, canned_title, case_view, history, readable_file
from bot.handover import AfterCommit
from bot.models import CannedReply, Feedback, Signup, StaffUser

# The fold table too, so that the counter folds exactly as the line will (bot.outbound.gsm7.prepare).
from bot.outbound.gsm7 import _FOLDS, GSM7_BASIC, GSM7_EXTENDED, SmsCost, cost
from bot.phones import mask
from bot.runtime import Runtime
from bot.vocabulary import CATEGORIES, DONE, N_, AttachmentStatus, Callback, CaseStatus, Channel, Kind, MessageStatus
from bot.web.deps import FormDep, StaffPage, StaffPageDep
from bot.web.pages import flash, labeller
from bot.whole_numbers import record_id

router = APIRouter(prefix="/admin/cases")

# The buttons that move a case on, by the status they lead to.
STEP_LABELS = {
    CaseStatus.ACKNOWLEDGED: N_("Acknowledge"),
    CaseStatus.IN_PROGRESS: N_("Start work"),
    CaseStatus.REFERRED: N_("Refer to a partner"),
    CaseStatus.RESOLVED: N_("Resolve"),
    CaseStatus.CLOSED: N_("Close"),
}
REOPEN_LABEL = N_("Reopen")

# The reply counter: progressive enhancement, from our own origin (the CSP allows no other script).
COUNTER_JS = (Path(__file__).resolve().parent / "static" / "reply_counter.js").read_bytes()
# The marker a reply's frame is split on, to tell the counter what goes before and after the staff's text.
_TEXT = "\x00"
# What an SMS costs, as the counter and each text sent say it; on WhatsApp, only its length.
COST_TEMPLATE = N_("%(characters)s characters · %(parts)s SMS · %(encoding)s")
CHARACTERS_TEMPLATE = N_("%(characters)s characters")


def _desk(runtime: Runtime) -> Desk:
    return Desk(runtime.catalogues, runtime.settings, runtime.vault)


def _missing(page: StaffPage) -> Response:
    return page.render("case_missing.html", status_code=404)


# --- the page --------------------------------------------------------------------------------------


def _when(value: datetime | None, tz: ZoneInfo) -> dict | None:
    if value is None:
        return None
    local = value.astimezone(tz)
    return {"iso": local.isoformat(timespec="seconds"), "text": local.strftime("%Y-%m-%d %H:%M")}


def _file(file: File, reference: str, label) -> dict:
    """A file the person sent, as the page shows it: played or shown once stored, else its state and why."""
    return {
        "kind": file.kind,
        "label": label("attachment_kind", file.kind),
        "url": f"/admin/cases/{reference}/files/{file.id}" if file.status == AttachmentStatus.STORED else None,
        "content_type": file.content_type,
        "seconds": file.seconds,
        "status": label("attachment_status", file.status),
        "error": file.error,
    }


def _line(line: Line, tz: ZoneInfo, _, label, reference: str) -> dict:
    row = {
        "incoming": line.incoming,
        "when": _when(line.created_at, tz),
        "channel": label("channel", line.channel),
        "text": line.text,
        "redacted": line.redacted,
        "media": line.media,
        "files": [_file(file, reference, label) for file in line.files] if not line.redacted else [],
        "this_case": line.this_case,
        "by": line.by,
        "cost": _cost(line.cost, _) if line.cost else None,
    }
    if not line.incoming:
        row["status"] = _(MessageStatus.CANCELLED.label) if line.unreachable else label("message_status", line.status)
        row["error"] = line.error
    return row


def _cost(sms: SmsCost, _) -> str:
    return _(COST_TEMPLATE) % {"characters": sms.characters, "parts": sms.parts, "encoding": sms.encoding}


def _counter(page: StaffPage, feedback: Feedback, draft: str, canned: bool) -> dict:
    """What the reply counter says before any typing (the server's count), and what its script needs."""
    _ = page.gettext
    desk = _desk(page.runtime)
    channel = lifecycle.outbound_channel(feedback)
    alphabet = page.runtime.settings.alphabet(channel)
    before, _marker, after = desk.addressed(feedback, _TEXT).partition(_TEXT)
    sms = channel == Channel.SMS
    sent = desk.write(feedback, desk.addressed(feedback, draft))
    template = _(COST_TEMPLATE if sms else CHARACTERS_TEMPLATE)
    left = lifecycle.blanks(draft, canned)
    return {
        "text": _cost(cost(sent), _) if sms else template % {"characters": len(sent)},
        "blanks": " ".join(dict.fromkeys(left)),
        "config": {
            "alphabet": alphabet,
            "sms": sms,
            "before": before,
            "after": after,
            "basic": "".join(sorted(GSM7_BASIC)),
            "extended": "".join(sorted(GSM7_EXTENDED)),
            "folds": _FOLDS if alphabet != "unicode" else {},
            "template": template,
            "canned": canned,
        },
    }


def _canned(view: CaseView, requested: str | None, lang: str, lang_name: str, default: str, interface: str, _) -> dict:
    """The canned replies to choose from (titled in the interface's language), and the chosen one's text in the
    person's language."""
    wanted = record_id(requested)
    chosen = next((r for r in view.canned_replies if wanted is not None and r.id == wanted), None)
    draft, warning = "", None
    if chosen is not None:
        draft, fell_back = canned_text(chosen, lang, default)
        if fell_back:
            warning = _(
                "This reply has no %(language)s text: another language's is filled in; rewrite it before sending."
            ) % {"language": lang_name}
    elif requested:
        warning = _("That canned reply no longer exists.")
    titled = sorted(((r.id, canned_title(r, interface)) for r in view.canned_replies), key=lambda c: c[1].casefold())
    return {
        "choices": titled,
        "chosen": chosen.id if chosen else None,
        "draft": draft,
        "warning": warning,
    }


def _link(link: Link, tz: ZoneInfo) -> dict:
    return {
        "reference": link.reference,
        "url": link.url,
        "kind": link.kind,
        "status": link.status,
        "when": _when(link.created_at, tz),
    }


def _signup(page: StaffPage, feedback: Feedback, tz: ZoneInfo, label) -> dict | None:
    """A sign-up's own status and its assembly, shown instead of the complaint's buttons."""
    signup = page.db.scalar(select(Signup).where(Signup.feedback_id == feedback.id))
    if signup is None:
        return None
    assembly = signup.assembly
    return {
        "status": label("category", signup.status),
        "assembly": assembly.title,
        "starts": _when(assembly.starts_at, tz),
        "place": assembly.place,
        # Only organizers (and admins) open the assembly's page; triage staff read the sign-up here.
        "url": f"/admin/assemblies/{assembly.id}" if organizes(page.user) else None,
    }


def _page(page: StaffPage, feedback: Feedback, *, revealed: str | None = None, canned: str | None = None) -> Response:
    runtime = page.runtime
    _ = page.gettext
    label = labeller(_)
    tz = ZoneInfo(runtime.settings.timezone)
    view = case_view(page.db, page.user, feedback, runtime.vault)
    contact = feedback.contact
    catalogues = runtime.catalogues
    lang = _desk(runtime).language(feedback)
    channel = lifecycle.outbound_channel(feedback)
    codable = feedback.kind in lifecycle.CODABLE_KINDS
    # An assembly sign-up's category is its place or waiting-list status, its site the assembly's.
    sign_up = feedback.kind == Kind.ASSEMBLY
    interface = page.interface.language(page.request)
    chosen = _canned(view, canned, lang, catalogues.language_name(lang), catalogues.default, interface, _)
    confidential = None
    if view.confidential is not None:
        callback = view.confidential.callback
        confidential = {
            "text": view.confidential.text,
            "callback": _(Callback(callback).label) if Callback.has(callback) else None,
            "details": view.confidential.callback_details,
        }
    context = {
        "case": feedback,
        "referral": referrals.section(page, feedback),
        "language_name": catalogues.language_name(feedback.language),
        "person_language": lang,
        "created": _when(feedback.created_at, tz),
        "updated": _when(feedback.updated_at, tz),
        "first_response": _when(feedback.first_response_at, tz),
        "resolved": _when(feedback.resolved_at, tz),
        "phone": mask(view.phone) if view.phone else None,
        "revealed": revealed,
        "may_reveal": view.may_reveal,
        "confidential": confidential,
        "steps": [
            {
                "status": step,
                "resolves": step == CaseStatus.RESOLVED,
                "label": _(REOPEN_LABEL if lifecycle.is_reopening(feedback.status, step) else STEP_LABELS[step]),
            }
            for step in view.steps
        ],
        "outcome_max": lifecycle.OUTCOME_MAX_CHARS,
        "reply_max": lifecycle.REPLY_MAX_CHARS,
        "note_max": lifecycle.NOTE_MAX_CHARS,
        "assignees": [(member.id, member.email) for member in view.assignees],
        "kinds": lifecycle.CODABLE_KINDS if codable else None,
        "categories": CATEGORIES.get(feedback.kind) if not sign_up else None,
        "signup": _signup(page, feedback, tz, label) if sign_up else None,
        "sites": [(site.slug, site.name) for site in view.sites] if not sign_up else None,
        "tags": view.tags,
        "outcome": view.outcome,
        "may_text": lifecycle.may_text(feedback),
        "texts_to": {
            "channel": channel,
            "opted_out": contact.opted_out_at is not None,
            "erased": contact.phone_encrypted is None,
            "no_provider": channel not in runtime.senders,
        },
        "canned": chosen,
        "counter": _counter(page, feedback, chosen["draft"], chosen["chosen"] is not None),
        "closed": feedback.status == CaseStatus.CLOSED,
        "reply_language_name": catalogues.language_name(lang),
        "due": view.due if feedback.status not in DONE else None,
        "exchange": {
            "messages": [_line(line, tz, _, label, feedback.reference) for line in view.exchange.lines],
            "more": view.exchange.more,
        },
        "others": {"links": [_link(link, tz) for link in view.others.links], "total": view.others.total},
        "duplicate_of": _link(view.duplicate_of, tz) if view.duplicate_of else None,
        "duplicates": [_link(link, tz) for link in view.duplicates],
        "notes": [{"author": n.author, "when": _when(n.created_at, tz), "text": n.text} for n in view.notes],
        "notes_hidden": view.notes_hidden,
        "trail": [
            {
                "who": e.actor or "baro",
                "when": _when(e.created_at, tz),
                "what": describe(e, _, label, view.site_names),
            }
            for e in view.events
        ],
        "trail_hidden": view.events_hidden,
        "files": [_file(file, feedback.reference, label) for file in view.files],
    }
    return page.render("case.html", **context)


@router.get("/reply-counter.js")
def counter_script() -> Response:
    """The reply counter's script: no personal data, the same for everyone, so no login needed."""
    return Response(COUNTER_JS, media_type="text/javascript")


@router.get("/{reference}/history")
def history_page(reference: str, page: StaffPageDep, before: str | None = None) -> Response:
    """The person's whole conversation, 50 messages a page, newest page first, under the inbox's access rules."""
    _ = page.gettext
    feedback = feedback_by_reference(page.db, page.user, reference)
    if feedback is None:
        return _missing(page)
    cursor = record_id(before) if before else None
    found = history(page.db, page.user, feedback, page.runtime.vault, cursor) if not before or cursor else None
    if found is None:
        return page.render(
            "case_history.html",
            status_code=400,
            case=feedback,
            error=_("This page of the history does not exist: start again from its first page."),
            messages=[],
            older=None,
            paged=True,
            person_language=_desk(page.runtime).language(feedback),
        )
    lifecycle.record_reads(page.db, [feedback], page.user, lifecycle.READ_ON_PAGE)
    page.db.commit()
    tz = ZoneInfo(page.runtime.settings.timezone)
    label = labeller(_)
    return page.render(
        "case_history.html",
        case=feedback,
        error=None,
        messages=[_line(line, tz, _, label, feedback.reference) for line in found.lines],
        older=found.older,
        paged=before is not None,
        person_language=_desk(page.runtime).language(feedback),
    )


@router.get("/{reference}")
def case_page(reference: str, page: StaffPageDep, canned: str | None = None) -> Response:
    feedback = feedback_by_reference(page.db, page.user, reference)
    if feedback is None:
        return _missing(page)
    lifecycle.record_reads(page.db, [feedback], page.user, lifecycle.READ_ON_PAGE)
    page.db.commit()
    return _page(page, feedback, canned=canned)


@router.get("/{reference}/files/{file_id}")
def case_file(reference: str, file_id: str, page: StaffPageDep) -> Response:
    """A file the person sent (a voice note, a photo, a call's recording), decrypted for who may read its message:
    the same rules as the text, each read of a confidential report in its trail, never kept in a cache."""
    feedback = feedback_by_reference(page.db, page.user, reference)
    wanted = record_id(file_id)
    found = readable_file(page.db, page.user, feedback, wanted) if feedback is not None and wanted else None
    if found is None:
        return _missing(page)
    content = page.runtime.vault.decrypt_bytes(found.content_encrypted)
    lifecycle.record_reads(page.db, [feedback], page.user, lifecycle.READ_ON_PAGE)
    page.db.commit()
    headers = {"Cache-Control": "no-store", "Content-Disposition": "inline", "X-Content-Type-Options": "nosniff"}
    return Response(content, media_type=found.content_type, headers=headers)


# --- actions ---------------------------------------------------------------------------------------

Action = Callable[[Feedback, Callable[[str], str]], tuple[str | None, list[tuple[int, str]]]]


def _act(page: StaffPage, reference: str, action: Action) -> Response:
    """Carry out `action` (which returns a flash text and the messages to send), commit, queue, go back."""
    request, db, _ = page.request, page.db, page.gettext
    feedback = feedback_by_reference(db, page.user, reference)
    if feedback is None:
        return _missing(page)
    back = f"/admin/cases/{feedback.reference}"
    try:
        done, sends = action(feedback, _)
    except Refused as refused:
        db.rollback()
        flash(request, "error", refused.text(_))
        return RedirectResponse(back, status_code=303)
    db.commit()
    page.runtime.transactions.hand_over(AfterCommit(messages=sends))
    if done:
        flash(request, "info", done)
    if not may_see(page.user, feedback):  # e.g. moved to a site this user does not cover
        flash(request, "info", _("The case is now outside your sites."))
        return RedirectResponse("/admin/inbox", status_code=303)
    return RedirectResponse(back, status_code=303)


def _field(form, name: str) -> str:
    return str(form.get(name) or "").strip()


@router.post("/{reference}/status")
def set_status(reference: str, page: StaffPageDep, form: FormDep) -> Response:
    db, user = page.db, page.user

    def action(feedback: Feedback, _):
        new = _field(form, "status")
        if new == CaseStatus.REFERRED:  # a referral names its partner: bot.admin.referrals
            raise Refused(N_("Refer the case with the referral form: it records the partner."))
        was = feedback.status
        outcome = _field(form, "outcome") or None
        sends = lifecycle.change_status(db, feedback, user, new, outcome, desk=_desk(page.runtime))
        label = _(CaseStatus(new).label)
        if lifecycle.is_reopening(was, new):
            return _("Case reopened: %(status)s.") % {"status": label}, sends
        text = _("Status changed to %(status)s.") % {"status": label}
        if new == CaseStatus.RESOLVED:
            text += " " + (
                _("The person is told what was done by text message.")
                if sends
                else _("No text message for a confidential report: tell the person by a call, if they agreed to one.")
            )
        return text, sends

    return _act(page, reference, action)


@router.post("/{reference}/assign")
def set_assignee(reference: str, page: StaffPageDep, form: FormDep) -> Response:
    db, user = page.db, page.user

    def action(feedback: Feedback, _):
        chosen = _field(form, "assignee")
        staff_id = record_id(chosen)
        assignee = db.get(StaffUser, staff_id) if staff_id is not None else None
        if chosen and assignee is None:
            raise Refused(N_("Unknown staff member."))
        if not lifecycle.assign(db, feedback, user, assignee, desk=_desk(page.runtime)):
            return _("Nothing changed."), []
        if assignee is None:
            return _("The case is assigned to nobody."), []
        return _("Assigned to %(email)s.") % {"email": assignee.email}, []

    return _act(page, reference, action)


@router.post("/{reference}/code")
def set_code(reference: str, page: StaffPageDep, form: FormDep) -> Response:
    db, user = page.db, page.user

    def action(feedback: Feedback, _):
        site = None
        slug = _field(form, "site")
        if slug:
            site = next((s for s in sites_of(db, user, active_only=True) if s.slug == slug), None)
            if site is None:
                raise Refused(N_("Unknown site, or not one of yours."))
        changes = lifecycle.code(
            db,
            feedback,
            user,
            desk=_desk(page.runtime),
            kind=_field(form, "kind") or None,
            category=_field(form, "category") or None,
            site=site,
            tags=str(form.get("tags") or "") if "tags" in form else None,
        )
        return (_("Coding saved.") if changes else _("Nothing changed.")), []

    return _act(page, reference, action)


@router.post("/{reference}/note")
def add_note(reference: str, page: StaffPageDep, form: FormDep) -> Response:
    db, user = page.db, page.user

    def action(feedback: Feedback, _):
        lifecycle.add_note(db, feedback, user, str(form.get("text") or ""), desk=_desk(page.runtime))
        return _("Note added."), []

    return _act(page, reference, action)


@router.post("/{reference}/reply")
def send_reply(reference: str, page: StaffPageDep, form: FormDep) -> Response:
    db, user = page.db, page.user

    def action(feedback: Feedback, _):
        canned = _field(form, "canned")
        canned_id = record_id(canned)
        canned_id = canned_id if canned_id is not None and db.get(CannedReply, canned_id) else None
        was = feedback.status
        sends = lifecycle.reply(db, feedback, user, str(form.get("text") or ""), _desk(page.runtime), canned_id)
        contact = feedback.contact
        if contact.opted_out_at is not None or contact.phone_encrypted is None:
            done = _("The reply is stored but will not be sent: the person opted out or refused consent.")
        elif lifecycle.outbound_channel(feedback) not in page.runtime.senders:
            done = _("The reply is stored but cannot be sent: no provider is configured for this channel.")
        else:
            done = _("Reply on its way.")
        if was != feedback.status:
            done += " " + _("The case is now %(status)s.") % {"status": _(CaseStatus(feedback.status).label)}
        return done, sends

    return _act(page, reference, action)


@router.post("/{reference}/duplicate")
def mark_duplicate(reference: str, page: StaffPageDep, form: FormDep) -> Response:
    db, user = page.db, page.user

    def action(feedback: Feedback, _):
        original = _field(form, "original")
        if not original:
            raise Refused(N_("Give the reference of the case this one repeats."))
        sends = duplicates.mark(db, feedback, user, original, _desk(page.runtime))
        text = _("Marked as a duplicate of %(reference)s.") % {
            "reference": db.get(Feedback, feedback.duplicate_of_id).reference
        }
        if feedback.status == CaseStatus.CLOSED:
            text += " " + _("That case is already done, so this one is closed too.")
        else:
            text += " " + _("It will be closed with it, without a second text to the same person.")
        return text, sends

    return _act(page, reference, action)


@router.post("/{reference}/not-duplicate")
def unmark_duplicate(reference: str, page: StaffPageDep, form: FormDep) -> Response:
    db, user = page.db, page.user

    def action(feedback: Feedback, _):
        was = duplicates.unmark(db, feedback, user, _desk(page.runtime))
        return _("No longer a duplicate of %(reference)s.") % {"reference": was}, []

    return _act(page, reference, action)


@router.post("/{reference}/reveal")
def reveal(reference: str, page: StaffPageDep, form: FormDep) -> Response:
    """The whole number, on this answer only (never in a redirect or the session); the reveal is in the trail."""
    request, db, user, _ = page.request, page.db, page.user, page.gettext
    feedback = feedback_by_reference(db, user, reference)
    if feedback is None:
        return _missing(page)
    back = RedirectResponse(f"/admin/cases/{feedback.reference}", status_code=303)
    if not may_reveal_phone(user, feedback):
        flash(request, "error", _("You may not see this number."))
        return back
    try:
        number = lifecycle.reveal_phone(db, feedback, user, _desk(page.runtime))
    except Refused as refused:
        db.rollback()
        flash(request, "error", refused.text(_))
        return back
    db.commit()
    return _page(page, feedback, revealed=number)
