"""Broadcasts at /admin/broadcasts: the list, composing one (audience, a text per language, when), its
preview (reach, SMS cost, who is left out) and sending it; each broadcast's progress, pause, resume, cancel.

Organizers and admins only (`OrganizerDep`). The pages read and parse the form; `bot.broadcasts` decides
who is reached (audience), plans and sends (plan) and steers it (control), refusing bad input with
`Refused`, shown on the page. "Send" only appears after a preview, and sends only what was previewed.
"""

import hashlib
import json
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.datastructures import FormData

from bot.broadcasts import control, plan
from bot.broadcasts.audience import LEFT_OUT, NO_CONSENT, OPTED_OUT, OUTSIDE_WINDOW, PROTECTION, Audience, preview
from bot.cases.access import sites_of
from bot.cases.lifecycle import Refused
from bot.models import Assembly, Broadcast, Site, utcnow
from bot.vocabulary import N_, AssemblyStatus, BroadcastStatus, Channel, label
from bot.web.deps import FormDep, OrganizerDep, StaffPage, StaffPageDep
from bot.web.pages import flash
from bot.whole_numbers import record_id

router = APIRouter(prefix="/admin/broadcasts")

PAGE = "/admin/broadcasts"
SHOWN = 30  # the most recent broadcasts listed; older ones stay reachable by their URL
EXCERPT = 80
# Why someone the audience holds gets nothing, as organizers read it.
LEFT_OUT_LABELS = {
    OPTED_OUT: N_("Opted out (sent STOP)"),
    NO_CONSENT: N_("No consent, or refused it"),
    OUTSIDE_WINDOW: N_("WhatsApp, outside the 24-hour window (no approved template)"),
    PROTECTION: N_("Protection focal points' numbers (never in a broadcast)"),
}
# A page still moving reloads itself (no script: the staff pages allow none); a scheduled one less often.
REFRESH_SECONDS = {BroadcastStatus.SENDING: 10, BroadcastStatus.SCHEDULED: 60}
IN_FLIGHT = (BroadcastStatus.SENDING, BroadcastStatus.PAUSED)


def _tz(page: StaffPage) -> ZoneInfo:
    return ZoneInfo(page.runtime.settings.timezone)


def _when(value: datetime | None, tz: ZoneInfo) -> dict | None:
    if value is None:
        return None
    local = value.astimezone(tz)
    return {"iso": local.isoformat(timespec="seconds"), "text": local.strftime("%Y-%m-%d %H:%M")}


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1].rstrip() + "…"


def _languages(page: StaffPage) -> list[tuple[str, str]]:
    catalogues = page.runtime.catalogues
    return [(lang, catalogues.language_name(lang)) for lang in page.runtime.settings.languages]


# --- reading the compose form ----------------------------------------------------------------------


def _text(form: FormData, name: str) -> str:
    return str(form.get(name) or "").strip()


def _audience(page: StaffPage, form: FormData) -> Audience:
    raw_assembly = _text(form, "assembly")
    assembly = record_id(raw_assembly) if raw_assembly else None
    if raw_assembly and assembly is None:
        raise Refused(N_("Choose an assembly from the list."))
    data = {
        "sites": [str(value) for value in form.getlist("sites")],
        "languages": [str(value) for value in form.getlist("languages")],
        "channels": [str(value) for value in form.getlist("channels")],
        "assembly": assembly,
    }
    return Audience.from_json(data, page.db, page.runtime.settings)


def _send_at(form: FormData, tz: ZoneInfo) -> datetime | None:
    """None to send now; otherwise the local date and time typed, in the line's time zone."""
    if _text(form, "when") != "later":
        return None
    try:
        day = date.fromisoformat(_text(form, "send_date"))
        clock = time.fromisoformat(_text(form, "send_time"))
    except ValueError:
        raise Refused(N_("Give the date (YYYY-MM-DD) and the time (HH:MM) to send at.")) from None
    if not 2000 <= day.year <= 2100:
        raise Refused(N_("Give the date (YYYY-MM-DD) and the time (HH:MM) to send at."))
    return datetime.combine(day, clock.replace(tzinfo=None, second=0, microsecond=0), tzinfo=tz)


def _composed(page: StaffPage, form: FormData) -> tuple[dict[str, str], Audience, datetime | None]:
    texts = {lang: _text(form, f"text_{lang}") for lang, _name in _languages(page)}
    return texts, _audience(page, form), _send_at(form, _tz(page))


def _fingerprint(texts: dict[str, str], audience: Audience, send_at: datetime | None) -> str:
    """What was previewed, so that "Send" sends that and nothing edited since."""
    raw = json.dumps([texts, audience.to_json(), send_at.isoformat() if send_at else None], sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()


# --- the list and the compose form -----------------------------------------------------------------


def _choices(page: StaffPage) -> dict:
    """What the audience may be narrowed to: sites, languages, channels, an upcoming assembly's sign-ups."""
    _, tz = page.gettext, _tz(page)
    assemblies = page.db.scalars(
        select(Assembly)
        .where(Assembly.status == AssemblyStatus.PLANNED, Assembly.starts_at >= utcnow())
        .order_by(Assembly.starts_at, Assembly.id)
    )
    return {
        "sites": [(site.slug, site.name) for site in sites_of(page.db, page.user, active_only=True)],
        "languages": _languages(page),
        "channels": [(channel.value, _(channel.label)) for channel in Channel],
        "assemblies": [
            (assembly.id, f"{assembly.title} · {_when(assembly.starts_at, tz)['text']}") for assembly in assemblies
        ],
    }


def _preview_view(page: StaffPage, texts: dict[str, str], audience: Audience) -> dict:
    _ = page.gettext
    found = preview(page.db, page.runtime.settings, audience, texts)
    catalogues = page.runtime.catalogues
    return {
        "reach": [(_(Channel(channel).label), count) for channel, count in found.reach.items()],
        "total": found.total,
        "languages": [
            {
                "name": catalogues.language_name(item.language),
                "recipients": item.recipients,
                "sms_recipients": item.sms_recipients,
                "encoding": item.encoding,
                "parts": item.parts,
                "total_parts": item.total_parts,
                "missing": not texts.get(item.language),
            }
            for item in found.languages
        ],
        "total_parts": found.total_parts,
        "left_out": [(_(LEFT_OUT_LABELS[reason]), found.left_out.get(reason, 0)) for reason in LEFT_OUT],
    }


def _list_page(
    page: StaffPage,
    *,
    status_code: int = 200,
    error: str | None = None,
    typed: FormData | None = None,
    previewed: dict | None = None,
    fingerprint: str | None = None,
) -> Response:
    _, tz = page.gettext, _tz(page)
    broadcasts = list(page.db.scalars(select(Broadcast).order_by(Broadcast.id.desc()).limit(SHOWN)))
    default = page.runtime.settings.languages[0]
    rows = []
    for broadcast in broadcasts:
        # Counting a broadcast's messages reads all of them: only for those still moving, the page stays light
        # (a finished one's counts are on its own page).
        moving = broadcast.status in IN_FLIGHT
        counts = control.progress(page.db, broadcast.id).counts if moving else None
        texts = broadcast.texts or {}
        rows.append(
            {
                "id": broadcast.id,
                "created": _when(broadcast.created_at, tz),
                "send_at": _when(broadcast.send_at, tz),
                "status": _(label(BroadcastStatus, broadcast.status)),
                "recipients": broadcast.recipients,
                "done": counts["sent"] + counts["delivered"] if counts else None,
                "failed": counts["failed"] if counts else None,
                "text": _excerpt(texts.get(default) or next(iter(texts.values()), "")),
            }
        )
    form = {
        "texts": {lang: str(typed.get(f"text_{lang}") or "") for lang, _name in _languages(page)} if typed else {},
        "sites": set(typed.getlist("sites")) if typed else set(),
        "languages": set(typed.getlist("languages")) if typed else set(),
        "channels": set(typed.getlist("channels")) if typed else set(),
        "assembly": str(typed.get("assembly") or "") if typed else "",
        "when": str(typed.get("when") or "now") if typed else "now",
        "send_date": str(typed.get("send_date") or "") if typed else "",
        "send_time": str(typed.get("send_time") or "") if typed else "",
    }
    return page.render(
        "broadcasts.html",
        status_code=status_code,
        error=error,
        rows=rows,
        shown=SHOWN,
        choices=_choices(page),
        form=form,
        preview=previewed,
        fingerprint=fingerprint,
        max_chars=plan.MAX_CHARS,
        timezone=page.runtime.settings.timezone,
    )


@router.get("")
def broadcasts_page(page: StaffPageDep, _organizer: OrganizerDep) -> Response:
    # A link may prefill the form (the monthly report's summary: text_<language>, sites); nothing is sent from it.
    prefill = page.request.query_params
    return _list_page(page, typed=prefill if prefill else None)


@router.post("/preview")
def preview_broadcast(page: StaffPageDep, _organizer: OrganizerDep, form: FormDep) -> Response:
    """What the composed broadcast would do now: nothing is stored or sent."""
    _ = page.gettext
    try:
        texts, audience, send_at = _composed(page, form)
        plan.check_texts(page.runtime.settings, texts)
        shown = _preview_view(page, texts, audience)
    except Refused as refused:
        return _list_page(page, status_code=400, error=refused.text(_), typed=form)
    return _list_page(page, typed=form, previewed=shown, fingerprint=_fingerprint(texts, audience, send_at))


@router.post("")
def send(page: StaffPageDep, _organizer: OrganizerDep, form: FormDep) -> Response:
    """Send (or schedule) the broadcast just previewed; a form changed since its preview is previewed again."""
    _ = page.gettext
    try:
        texts, audience, send_at = _composed(page, form)
        fingerprint = _fingerprint(texts, audience, send_at)
        if _text(form, "previewed") != fingerprint:
            plan.check_texts(page.runtime.settings, texts)
            shown = _preview_view(page, texts, audience)
            return _list_page(
                page,
                status_code=409,
                error=_("The broadcast changed since its preview: check this preview, then send."),
                typed=form,
                previewed=shown,
                fingerprint=fingerprint,
            )
        page.db.rollback()  # the planning runs in its own transaction; this request's reads end here
        broadcast = plan.create_broadcast(page.runtime, page.user.id, texts, audience, send_at)
    except Refused as refused:
        return _list_page(page, status_code=400, error=refused.text(_), typed=form)
    if broadcast.status == BroadcastStatus.SCHEDULED:
        done = _("Broadcast scheduled for %(count)s people.") % {"count": broadcast.recipients}
    elif broadcast.recipients:
        done = _("Broadcast on its way to %(count)s people.") % {"count": broadcast.recipients}
    else:
        done = _("Nobody in this audience can be reached: nothing was sent.")
    flash(page.request, "info", done)
    return RedirectResponse(f"{PAGE}/{broadcast.id}", status_code=303)


# --- one broadcast ---------------------------------------------------------------------------------


def _audience_text(page: StaffPage, audience: dict) -> list[tuple[str, str]]:
    """The audience as organizers chose it, in words: (what, which)."""
    _ = page.gettext
    catalogues = page.runtime.catalogues
    parts = []
    if audience.get("sites"):
        names = dict(page.db.execute(select(Site.slug, Site.name).where(Site.slug.in_(audience["sites"]))).all())
        parts.append((_("Sites"), ", ".join(names.get(slug, slug) for slug in audience["sites"])))
    if audience.get("languages"):
        parts.append((_("Languages"), ", ".join(catalogues.language_name(lang) for lang in audience["languages"])))
    if audience.get("channels"):
        parts.append((_("Channels"), ", ".join(_(label(Channel, channel)) for channel in audience["channels"])))
    if audience.get("assembly"):
        assembly = page.db.get(Assembly, audience["assembly"])
        parts.append((_("Signed up or waiting for"), assembly.title if assembly else str(audience["assembly"])))
    return parts or [(_("Audience"), _("Everyone who consented"))]


def _missing(page: StaffPage) -> Response:
    _ = page.gettext
    return page.render(
        "missing.html", status_code=404, title=_("Broadcasts"), message=_("There is no such broadcast."), back=PAGE
    )


def _broadcast(page: StaffPage, raw_id: str) -> Broadcast | None:
    number = record_id(raw_id)  # strictly: never int("²"), nor a number past any id
    return page.db.get(Broadcast, number) if number is not None else None


@router.get("/{broadcast_id}")
def broadcast_page(broadcast_id: str, page: StaffPageDep, _organizer: OrganizerDep) -> Response:
    _, tz = page.gettext, _tz(page)
    broadcast = _broadcast(page, broadcast_id)
    if broadcast is None:
        return _missing(page)
    progress = control.progress(page.db, broadcast.id)
    status = progress.status
    left_out = broadcast.left_out or {}
    return page.render(
        "broadcast.html",
        broadcast={
            "id": broadcast.id,
            "status": status,
            "status_label": _(label(BroadcastStatus, status)),
            "created": _when(broadcast.created_at, tz),
            "send_at": _when(broadcast.send_at, tz),
            "finished": _when(progress.finished_at, tz),
            "recipients": progress.recipients,
            "by": broadcast.created_by.email if broadcast.created_by else None,
        },
        counts=progress.counts,
        left_out=[(_(LEFT_OUT_LABELS[reason]), left_out.get(reason, 0)) for reason in LEFT_OUT],
        audience=_audience_text(page, broadcast.audience or {}),
        texts=[
            (lang, page.runtime.catalogues.language_name(lang), text) for lang, text in (broadcast.texts or {}).items()
        ],
        may_pause=status in control.PAUSABLE,
        may_resume=status == BroadcastStatus.PAUSED,
        may_cancel=status in control.CANCELLABLE,
        refresh=REFRESH_SECONDS.get(status),
        timezone=page.runtime.settings.timezone,
    )


def _steer(page: StaffPage, broadcast_id: str, step, done: str) -> Response:
    """Pause, resume or cancel; the domain refuses a step the broadcast's status does not allow."""
    _ = page.gettext
    broadcast = _broadcast(page, broadcast_id)
    if broadcast is None:
        return _missing(page)
    page.db.rollback()  # the step runs in its own transaction
    try:
        step(page.runtime, broadcast.id)
    except Refused as refused:
        flash(page.request, "error", refused.text(_))
    else:
        flash(page.request, "info", done)
    return RedirectResponse(f"{PAGE}/{broadcast.id}", status_code=303)


@router.post("/{broadcast_id}/pause")
def pause(broadcast_id: str, page: StaffPageDep, _organizer: OrganizerDep, _form: FormDep) -> Response:
    return _steer(page, broadcast_id, control.pause, page.gettext("Paused: nothing more is sent until you resume."))


@router.post("/{broadcast_id}/resume")
def resume(broadcast_id: str, page: StaffPageDep, _organizer: OrganizerDep, _form: FormDep) -> Response:
    return _steer(page, broadcast_id, control.resume, page.gettext("Resumed."))


@router.post("/{broadcast_id}/cancel")
def cancel(broadcast_id: str, page: StaffPageDep, _organizer: OrganizerDep, _form: FormDep) -> Response:
    return _steer(
        page, broadcast_id, control.cancel, page.gettext("Cancelled: what was not sent yet will not be sent.")
    )
