"""Citizen assemblies at /admin/assemblies: the list and the form that announces one, each assembly's
page (edit, roster, attendance), its attendance sheet as CSV and as a printable page.

Organizers and admins only (`OrganizerDep`). The pages read and parse; `bot.assemblies.organize`
decides: it refuses bad input with `Refused` (shown on the page, never a 500) and returns the texts
to send (the announcement, a move or a cancellation), handed to RQ once the change is committed.
Phone numbers are only ever shown masked, on the page and in the CSV alike.
"""

import csv
import io
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from starlette.datastructures import FormData

from bot.admin.exports import spreadsheet_safe
from bot.admin.inbox import masked_phone
from bot.assemblies import organize
from bot.cases.access import sites_of
from bot.cases.lifecycle import Desk, Refused
from bot.handover import AfterCommit
from bot.models import Assembly, Signup, utcnow
from bot.runtime import Runtime
from bot.vocabulary import N_, AssemblyStatus, Channel, SignupStatus, label
from bot.web.deps import FormDep, OrganizerDep, StaffPage, StaffPageDep
from bot.web.pages import flash
from bot.whole_numbers import record_id, whole_number

router = APIRouter(prefix="/admin/assemblies")

PAGE = "/admin/assemblies"
# What the form takes: the domain's limits (a title and a place are quoted in every SMS about the assembly).
LIMITS = {
    "title": organize.TITLE_MAX_CHARS,
    "place": organize.PLACE_MAX_CHARS,
    "description": organize.DESCRIPTION_MAX_CHARS,
    "capacity": organize.CAPACITY_MAX,
}
PAST_SHOWN = 50  # the most recent past assemblies listed; older ones stay reachable by their URL
CSV_COLUMNS = ("reference", "status", "language", "channel", "contact", "attended", "signature")


def _desk(runtime: Runtime) -> Desk:
    return Desk(runtime.catalogues, runtime.settings, runtime.vault)


def _tz(page: StaffPage) -> ZoneInfo:
    return ZoneInfo(page.runtime.settings.timezone)


def _when(value: datetime | None, tz: ZoneInfo) -> dict | None:
    if value is None:
        return None
    local = value.astimezone(tz)
    return {
        "iso": local.isoformat(timespec="seconds"),
        "text": local.strftime("%Y-%m-%d %H:%M"),
        "date": local.strftime("%Y-%m-%d"),
        "time": local.strftime("%H:%M"),
    }


def _languages(page: StaffPage) -> list[tuple[str, str]]:
    """(code, name) of each language the line speaks: one title and description field each."""
    catalogues = page.runtime.catalogues
    return [(lang, catalogues.language_name(lang)) for lang in page.runtime.settings.languages]


def _missing(page: StaffPage) -> Response:
    _ = page.gettext
    return page.render("missing.html", status_code=404, title=_("Assemblies"), message=_("There is no such assembly."))


def _assembly(page: StaffPage, raw_id: str) -> Assembly | None:
    number = record_id(raw_id)  # strictly: never int("²"), nor a number past any id
    return page.db.get(Assembly, number) if number is not None else None


# --- reading the form ------------------------------------------------------------------------------


def _text(form: FormData, name: str) -> str:
    return str(form.get(name) or "").strip()


def _per_language(form: FormData, prefix: str, languages: list[tuple[str, str]]) -> dict[str, str]:
    """{"fr": "...", "bm": "..."} from the fields `title_fr`, `title_bm`...; the domain trims and checks them."""
    return {lang: _text(form, f"{prefix}_{lang}") for lang, _name in languages}


def _local_start(form: FormData, tz: ZoneInfo) -> datetime:
    """The date and time typed, read in the line's time zone (the one people read)."""
    try:
        day = date.fromisoformat(_text(form, "date"))
        clock = time.fromisoformat(_text(form, "time"))
    except ValueError:
        raise Refused(N_("Give the date (YYYY-MM-DD) and the time (HH:MM) of the assembly.")) from None
    if not 2000 <= day.year <= 2100:
        raise Refused(N_("Give the date (YYYY-MM-DD) and the time (HH:MM) of the assembly."))
    return datetime.combine(day, clock.replace(tzinfo=None, second=0, microsecond=0), tzinfo=tz)


def _capacity(form: FormData) -> int | None:
    raw = _text(form, "capacity")
    if not raw:
        return None  # no limit
    capacity = whole_number(raw, 1, organize.CAPACITY_MAX)
    if capacity is None:
        raise Refused(
            N_("The capacity is a number of places from 1 to %(limit)s, or empty for no limit."),
            {"limit": str(organize.CAPACITY_MAX)},
        )
    return capacity


def _fields(page: StaffPage, form: FormData) -> dict:
    """What both forms (announce, edit) carry, parsed."""
    languages = _languages(page)
    return {
        "titles": _per_language(form, "title", languages),
        "descriptions": _per_language(form, "description", languages),
        "starts_at": _local_start(form, _tz(page)),
        "place": _text(form, "place"),
        "capacity": _capacity(form),
    }


def _typed(form: FormData) -> dict:
    """The values as typed, to fill a form that was refused again."""
    return {key: str(value) for key, value in form.items() if key != "csrf"}


# --- the list --------------------------------------------------------------------------------------


def _rows(page: StaffPage, assemblies: list[Assembly], tz: ZoneInfo) -> list[dict]:
    _ = page.gettext
    counts = organize.counts(page.db, [assembly.id for assembly in assemblies]) if assemblies else {}
    rows = []
    for assembly in assemblies:
        count = counts.get(assembly.id, {})
        rows.append(
            {
                "id": assembly.id,
                "site": assembly.site.name,
                "title": assembly.title,
                "when": _when(assembly.starts_at, tz),
                "place": assembly.place,
                "status": assembly.status,
                "status_label": _(label(AssemblyStatus, assembly.status)),
                "confirmed": count.get(SignupStatus.CONFIRMED, 0) + count.get(SignupStatus.ATTENDED, 0),
                "capacity": assembly.capacity,
                "waiting": count.get(SignupStatus.WAITING, 0),
            }
        )
    return rows


def _list_page(page: StaffPage, *, status_code: int = 200, error: str | None = None, typed: dict | None = None):
    tz = _tz(page)
    now = utcnow()
    query = select(Assembly).options(selectinload(Assembly.site))
    upcoming = list(
        page.db.scalars(
            query.where(Assembly.starts_at >= now, Assembly.status == AssemblyStatus.PLANNED).order_by(
                Assembly.starts_at, Assembly.id
            )
        )
    )
    past = list(
        page.db.scalars(
            query.where((Assembly.starts_at < now) | (Assembly.status != AssemblyStatus.PLANNED))
            .order_by(Assembly.starts_at.desc(), Assembly.id.desc())
            .limit(PAST_SHOWN)
        )
    )
    return page.render(
        "assemblies.html",
        status_code=status_code,
        error=error,
        typed=typed or {},
        upcoming=_rows(page, upcoming, tz),
        past=_rows(page, past, tz),
        past_shown=PAST_SHOWN,
        sites=[(site.id, site.name) for site in sites_of(page.db, page.user, active_only=True)],
        languages=_languages(page),
        limits=LIMITS,
        timezone=page.runtime.settings.timezone,
    )


@router.get("")
def assemblies_page(page: StaffPageDep, _organizer: OrganizerDep) -> Response:
    return _list_page(page)


@router.post("")
def announce(page: StaffPageDep, _organizer: OrganizerDep, form: FormDep) -> Response:
    """Create an assembly; the domain announces it to those who asked to hear of the next one at its site."""
    db, _ = page.db, page.gettext
    try:
        site_id = record_id(_text(form, "site"))
        if site_id is None:
            raise Refused(N_("Choose the assembly's site."))
        assembly, sends = organize.create_assembly(
            db, _desk(page.runtime), page.user, site_id=site_id, **_fields(page, form)
        )
    except Refused as refused:
        db.rollback()
        return _list_page(page, status_code=400, error=refused.text(_), typed=_typed(form))
    db.commit()
    page.runtime.transactions.hand_over(AfterCommit(messages=sends))
    if sends:
        done = _("Assembly announced: %(count)s people who asked to hear of the next one at this site are told.") % {
            "count": len(sends)
        }
    else:
        done = _("Assembly created. Nobody at this site had asked to hear of the next one.")
    flash(page.request, "info", done)
    return RedirectResponse(f"{PAGE}/{assembly.id}", status_code=303)


# --- one assembly ----------------------------------------------------------------------------------


def _signup_row(page: StaffPage, signup: Signup) -> dict:
    _ = page.gettext
    feedback = signup.feedback
    contact = feedback.contact
    language = (contact.language if contact else None) or feedback.language
    channel = (contact.channel if contact else None) or feedback.channel
    return {
        "id": signup.id,
        "reference": feedback.reference,
        "status": signup.status,
        "status_label": _(label(SignupStatus, signup.status)),
        "language": language,
        "language_name": page.runtime.catalogues.language_name(language) if language else "",
        "channel": channel,
        "channel_label": _(label(Channel, channel)),
        "contact": masked_phone(page.runtime.vault, feedback) or _("number erased"),
    }


def _roster(page: StaffPage, assembly: Assembly) -> dict[str, list[dict]]:
    """The sign-ups by where they stand: holding a place, waiting, cancelled."""
    rows = [_signup_row(page, signup) for signup in organize.roster(page.db, assembly)]
    return {
        "places": [row for row in rows if SignupStatus.has(row["status"]) and SignupStatus(row["status"]).holds_place],
        "waiting": [row for row in rows if row["status"] == SignupStatus.WAITING],
        "cancelled": [row for row in rows if row["status"] == SignupStatus.CANCELLED],
    }


def _assembly_page(
    page: StaffPage, assembly: Assembly, *, status_code: int = 200, error: str | None = None, typed: dict | None = None
) -> Response:
    _, tz = page.gettext, _tz(page)
    (row,) = _rows(page, [assembly], tz)
    default = page.runtime.catalogues.default
    titles = assembly.titles or {default: assembly.title}
    descriptions = assembly.descriptions or {}
    when = _when(assembly.starts_at, tz)
    current = {
        "place": assembly.place,
        "capacity": "" if assembly.capacity is None else str(assembly.capacity),
        "date": when["date"],
        "time": when["time"],
        "status": assembly.status,
        **{f"title_{lang}": text for lang, text in titles.items()},
        **{f"description_{lang}": text for lang, text in descriptions.items()},
    }
    return page.render(
        "assembly.html",
        status_code=status_code,
        error=error,
        assembly=row,
        titles=titles,
        descriptions=descriptions,
        form=typed or current,
        statuses=[(status.value, _(status.label)) for status in AssemblyStatus],
        languages=_languages(page),
        limits=LIMITS,
        timezone=page.runtime.settings.timezone,
        roster=_roster(page, assembly),
    )


@router.get("/{assembly_id}")
def assembly_page(assembly_id: str, page: StaffPageDep, _organizer: OrganizerDep) -> Response:
    assembly = _assembly(page, assembly_id)
    if assembly is None:
        return _missing(page)
    return _assembly_page(page, assembly)


def _filled(texts: dict[str, str]) -> dict[str, str]:
    return {lang: text for lang, text in texts.items() if text}


def _changes(assembly: Assembly, fields: dict, status: str) -> dict:
    """Only what differs from the assembly as it is: an unchanged date is not a move to tell people of."""
    changes = {}
    if _filled(fields["titles"]) != (assembly.titles or {}):
        changes["titles"] = fields["titles"]
    if _filled(fields["descriptions"]) != (assembly.descriptions or {}):
        changes["descriptions"] = fields["descriptions"]
    # The form has minutes only: an assembly set to the second through the API is not moved by saving it.
    if fields["starts_at"] != assembly.starts_at.replace(second=0, microsecond=0):
        changes["starts_at"] = fields["starts_at"]
    for name in ("place", "capacity"):
        if fields[name] != getattr(assembly, name):
            changes[name] = fields[name]
    if status != assembly.status:
        changes["status"] = status
    return changes


@router.post("/{assembly_id}")
def edit(assembly_id: str, page: StaffPageDep, _organizer: OrganizerDep, form: FormDep) -> Response:
    """Save the edit form; moving or cancelling the assembly tells everyone signed up or waiting."""
    db, _ = page.db, page.gettext
    assembly = _assembly(page, assembly_id)
    if assembly is None:
        return _missing(page)
    try:
        status = _text(form, "status")
        if not AssemblyStatus.has(status):
            raise Refused(N_("Choose the assembly's status."))
        changes = _changes(assembly, _fields(page, form), status)
        sends = organize.update_assembly(db, _desk(page.runtime), page.user, assembly, **changes) if changes else []
    except Refused as refused:
        db.rollback()
        return _assembly_page(page, assembly, status_code=400, error=refused.text(_), typed=_typed(form))
    db.commit()
    page.runtime.transactions.hand_over(AfterCommit(messages=sends))
    if not changes:
        done = _("Nothing changed.")
    elif sends:
        done = _("Saved. %(count)s people signed up or waiting are told of the change.") % {"count": len(sends)}
    else:
        done = _("Saved.")
    flash(page.request, "info", done)
    return RedirectResponse(f"{PAGE}/{assembly.id}", status_code=303)


@router.post("/{assembly_id}/attendance")
def record_attendance(assembly_id: str, page: StaffPageDep, _organizer: OrganizerDep, form: FormDep) -> Response:
    """Who came: the ticked sign-ups, as the organizer saw them on the day."""
    db, _ = page.db, page.gettext
    assembly = _assembly(page, assembly_id)
    if assembly is None:
        return _missing(page)
    ticked = {record_id(value) for value in form.getlist("attended")}
    back = RedirectResponse(f"{PAGE}/{assembly.id}#attendance", status_code=303)
    try:
        organize.record_attendance(db, page.user, assembly, {number for number in ticked if number is not None})
    except Refused as refused:
        db.rollback()
        flash(page.request, "error", refused.text(_))
        return back
    db.commit()
    flash(page.request, "info", _("Attendance recorded."))
    return back


# --- the attendance sheet --------------------------------------------------------------------------


def _sheet_rows(page: StaffPage, assembly: Assembly) -> list[dict]:
    """Those expected, places first then the waiting list (who may come if a place frees): not the cancelled."""
    roster = _roster(page, assembly)
    return roster["places"] + roster["waiting"]


@router.get("/{assembly_id}/attendance.csv")
def attendance_csv(assembly_id: str, page: StaffPageDep, _organizer: OrganizerDep) -> Response:
    assembly = _assembly(page, assembly_id)
    if assembly is None:
        return _missing(page)
    buffer = io.StringIO()
    # Every field quoted, and every cell made safe for spreadsheets (the inbox export's rules).
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    writer.writerow(CSV_COLUMNS)
    for row in _sheet_rows(page, assembly):
        attended = "yes" if row["status"] == SignupStatus.ATTENDED else ""
        values = (row["reference"], row["status"], row["language"], row["channel"], row["contact"], attended, "")
        writer.writerow([spreadsheet_safe(value or "") for value in values])
    local = assembly.starts_at.astimezone(_tz(page)).date().isoformat()
    filename = f"baro-assembly-{assembly.id}-{local}.csv"
    return Response(
        "\ufeff" + buffer.getvalue(),  # the BOM: spreadsheet programs then read the accents right
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


@router.get("/{assembly_id}/sheet")
def printable_sheet(assembly_id: str, page: StaffPageDep, _organizer: OrganizerDep) -> Response:
    """The attendance sheet to print and tick on the day, with a blank column to sign."""
    assembly = _assembly(page, assembly_id)
    if assembly is None:
        return _missing(page)
    (row,) = _rows(page, [assembly], _tz(page))
    return page.render("assembly_sheet.html", assembly=row, rows=_sheet_rows(page, assembly))
