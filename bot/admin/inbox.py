"""The triage inbox: what came in, newest first, filtered and searched; and its CSV export.

Both read through `bot.admin.queries`, so the list, the export and the API agree on what a
filter means and on what each user may see.
"""

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from cryptography.fernet import InvalidToken
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import PlainTextResponse, Response, StreamingResponse
from sqlalchemy import select

from bot.admin.access import DESK_ROLES, mask_phone
from bot.admin.labels import CATEGORY_LABELS, CHANNEL_LABELS, KIND_LABELS, STATUS_LABELS, language_name
from bot.admin.queries import (
    CHANNELS,
    KINDS,
    MAX_PAGE_SIZE,
    STATUSES,
    Filters,
    InvalidFilter,
    each_feedback,
    feedback_page,
    pseudonym,
    readable_text,
)
from bot.admin.security import DB, Staff
from bot.models import Feedback, Site, StaffUser

router = APIRouter(prefix="/admin")

EXCERPT = 90  # characters of the text shown in the list


CSV_COLUMNS = (
    "reference", "created_at", "kind", "category", "site", "language", "channel",
    "status", "assignee", "tags", "text", "contact",
)


def desk_only(user: StaffUser) -> None:
    if user.role not in DESK_ROLES:
        raise HTTPException(status_code=403, detail="the inbox is for triage, protection and admin staff")


def _timezone(request: Request) -> ZoneInfo:
    return ZoneInfo(request.app.state.runtime.settings.timezone)


def masked_phone(request: Request, feedback: Feedback) -> str:
    """The number as staff may see it in a list: masked; never the whole number."""
    contact = feedback.contact
    if contact is None or not contact.phone_encrypted:
        return ""
    try:
        return mask_phone(request.app.state.runtime.vault.decrypt(contact.phone_encrypted))
    except InvalidToken:
        return "••••"


def _excerpt(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1].rstrip() + "…"


def _row(request: Request, feedback: Feedback, tz: ZoneInfo) -> dict:
    created = feedback.created_at.astimezone(tz)
    return {
        "reference": feedback.reference,
        "created_iso": created.isoformat(timespec="seconds"),
        "created": created.strftime("%Y-%m-%d %H:%M"),
        "kind": feedback.kind,
        "category": feedback.category or "",
        "site": feedback.site.name if feedback.site else "",
        "language": feedback.language,
        "channel": feedback.channel,
        "status": feedback.status,
        "assignee": feedback.assignee.email if feedback.assignee else "",
        "confidential": feedback.confidential,
        # Never the text of a confidential report in a list, whoever looks.
        "excerpt": "" if feedback.confidential else _excerpt(feedback.text),
        "phone": masked_phone(request, feedback),
    }


def _choices(request: Request, db, user: StaffUser, _) -> dict:
    sites = list(db.scalars(select(Site).order_by(Site.position, Site.name)))
    if user.role == "triage" and user.sites:
        mine = {site.id for site in user.sites}
        sites = [site for site in sites if site.id in mine]
    staff = db.scalars(
        select(StaffUser)
        .where(StaffUser.role.in_(sorted(DESK_ROLES)), StaffUser.active.is_(True))
        .order_by(StaffUser.email)
    )
    languages = request.app.state.runtime.settings.languages
    return {
        "statuses": [(value, _(STATUS_LABELS[value])) for value in STATUSES],
        "kinds": [(value, _(KIND_LABELS[value])) for value in KINDS],
        "categories": [(value, _(label)) for value, label in CATEGORY_LABELS.items()],
        "sites": [(site.slug, site.name) for site in sites],
        "languages": [(code, language_name(request, code)) for code in languages],
        "channels": [(value, _(CHANNEL_LABELS[value])) for value in CHANNELS],
        "assignees": [(str(member.id), member.email) for member in staff],
    }


@router.get("/inbox")
def inbox(request: Request, user: Staff, db: DB) -> Response:
    if user.role not in DESK_ROLES:
        return request.app.state.interface.render(request, "inbox_forbidden.html", status_code=403)
    _ = request.app.state.interface.gettext(request)
    tz = _timezone(request)
    before = request.query_params.get("before") or None
    error, filters, rows, older = None, Filters(), [], None
    try:
        filters = Filters.parse(request.query_params)
        page = feedback_page(db, user, filters, before=before, tz=tz)
        rows = [_row(request, item, tz) for item in page.items]
        if page.next:
            older = "/admin/inbox?" + urlencode({**filters.params(), "before": page.next})
    except InvalidFilter as invalid:
        error = invalid.text(_)
        # Keep what the person typed in the form, so it can be corrected.
        filters = _raw_filters(request)
    query = urlencode(filters.params()) if not error else ""
    return request.app.state.interface.render(
        request,
        "inbox.html",
        status_code=400 if error else 200,
        error=error,
        filters=filters,
        rows=rows,
        older=older,
        paged=before is not None and not error,
        first_page="/admin/inbox" + (f"?{query}" if query else ""),
        export="/admin/export.csv" + (f"?{query}" if query else ""),
        labels={"kind": KIND_LABELS, "status": STATUS_LABELS, "channel": CHANNEL_LABELS, "category": CATEGORY_LABELS},
        choices=_choices(request, db, user, _),
    )


class _Typed:
    """The submitted values as typed, for a form that refused them."""

    def __init__(self, params):
        self._params = params

    def __getattr__(self, name):
        return self._params.get(name) or None


def _raw_filters(request: Request):
    return _Typed(request.query_params)


# --- CSV export ----------------------------------------------------------------------------------


def _cell(value: str) -> str:
    """Text people sent, made safe for spreadsheets: a leading = + - @ would run as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def csv_record(request: Request, user: StaffUser, feedback: Feedback) -> list[str]:
    return [
        feedback.reference,
        feedback.created_at.isoformat(),
        feedback.kind,
        feedback.category or "",
        feedback.site.slug if feedback.site else "",
        feedback.language,
        feedback.channel,
        feedback.status,
        feedback.assignee.email if feedback.assignee else "",
        _cell(";".join(feedback.tags or [])),
        _cell(readable_text(feedback, user, request.app.state.runtime.vault) or ""),
        pseudonym(feedback),
    ]


def _csv_lines(
    request: Request, user_id: int, filters: Filters, first: list[list[str]], after: str | None, tz
) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    writer.writerows(first)
    yield "\ufeff" + flush()  # the BOM: spreadsheet programs then read the accents right
    if after is None:
        return
    # The rest in batches with a session of its own: the request's may be closed by now.
    with request.app.state.runtime.sessions() as db:
        user = db.get(StaffUser, user_id)
        for count, feedback in enumerate(each_feedback(db, user, filters, before=after, tz=tz), start=1):
            writer.writerow(csv_record(request, user, feedback))
            if count % MAX_PAGE_SIZE == 0:
                yield flush()
    yield flush()


@router.get("/export.csv")
def export_csv(request: Request, user: Staff, db: DB) -> Response:
    desk_only(user)
    tz = _timezone(request)
    try:
        filters = Filters.parse(request.query_params)
        first = feedback_page(db, user, filters, limit=MAX_PAGE_SIZE, tz=tz)
    except InvalidFilter as invalid:
        return PlainTextResponse(str(invalid), status_code=400)
    records = [csv_record(request, user, item) for item in first.items]
    filename = f"baro-feedback-{datetime.now(tz).date().isoformat()}.csv"
    return StreamingResponse(
        _csv_lines(request, user.id, filters, records, first.next, tz),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )

