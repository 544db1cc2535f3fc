"""The triage inbox: what came in, newest first, filtered and searched; and its CSV export.

Both read through `bot.cases.queries`, so the list, the export and the API agree on what a
filter means and on what each user may see.
"""

import csv
import io
import re
from collections.abc import Iterator
from datetime import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from cryptography.fernet import InvalidToken
from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response, StreamingResponse
from sqlalchemy.orm import Session

from bot.cases.access import desk_staff, sites_of
from bot.cases.lifecycle import READ_IN_EXPORT, record_reads
from bot.cases.queries import (
    MAX_PAGE_SIZE,
    Filters,
    InvalidFilter,
    each_feedback,
    feedback_page,
    pseudonym,
    readable_text,
)
from bot.cases.sealed import tags_of
from bot.models import Feedback, StaffUser
from bot.phones import mask
from bot.runtime import Runtime
from bot.vault import Vault
from bot.web.deps import DbDep, DeskStaffDep, InterfaceDep, RuntimeDep
from bot.web.pages import choices

router = APIRouter(prefix="/admin")

EXCERPT = 90  # characters of the text shown in the list

CSV_COLUMNS = (
    "reference",
    "created_at",
    "kind",
    "category",
    "site",
    "language",
    "channel",
    "status",
    "assignee",
    "tags",
    "text",
    "contact",
)


def masked_phone(vault: Vault, feedback: Feedback) -> str:
    """The number as staff may see it in a list: masked; never the whole number."""
    contact = feedback.contact
    if contact is None or not contact.phone_encrypted:
        return ""
    try:
        return mask(vault.decrypt(contact.phone_encrypted))
    except InvalidToken:
        return "••••"


def _excerpt(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1].rstrip() + "…"


def _row(vault: Vault, feedback: Feedback, tz: ZoneInfo) -> dict:
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
        "phone": masked_phone(vault, feedback),
    }


def _choices(runtime: Runtime, db: Session, user: StaffUser, _) -> dict:
    catalogues = runtime.catalogues
    return {
        "statuses": choices("status", _),
        "kinds": choices("kind", _),
        "categories": choices("category", _),
        "sites": [(site.slug, site.name) for site in sites_of(db, user)],
        "languages": [(code, catalogues.language_name(code)) for code in runtime.settings.languages],
        "channels": choices("channel", _),
        "assignees": [(str(member.id), member.email) for member in desk_staff(db)],
    }


@router.get("/inbox")
def inbox(request: Request, user: DeskStaffDep, db: DbDep, runtime: RuntimeDep, interface: InterfaceDep) -> Response:
    _ = interface.gettext(request)
    tz = ZoneInfo(runtime.settings.timezone)
    before = request.query_params.get("before") or None
    error, filters, rows, older = None, Filters(), [], None
    try:
        filters = Filters.parse(request.query_params)
        page = feedback_page(db, user, filters, before=before, tz=tz)
        rows = [_row(runtime.vault, item, tz) for item in page.items]
        if page.next:
            older = "/admin/inbox?" + urlencode({**filters.params(), "before": page.next})
    except InvalidFilter as invalid:
        error = invalid.text(_)
        # Keep what the person typed in the form, so it can be corrected.
        filters = _Typed(request.query_params)
    query = urlencode(filters.params()) if not error else ""
    return interface.render(
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
        choices=_choices(runtime, db, user, _),
    )


class _Typed:
    """The submitted values as typed, for a form that refused them."""

    def __init__(self, params):
        self._params = params

    def __getattr__(self, name):
        return self._params.get(name) or None


# --- CSV export ----------------------------------------------------------------------------------


# Where a spreadsheet may start a cell in a text: its start, and after a separator (`,` here; `;` in French
# spreadsheets, which split our `,` file there; tab) or a line break; spaces and quotes may come between,
# for programs that trim them. A cell that then starts with = + - @ (or their full-width forms) is run.
_FORMULA_START = re.compile(r"((?:^|[,;\t\r\n])[\s\"]*)(?=[=+\-@＝＋－＠])")


def _cell(value: str) -> str:
    """A value made safe for spreadsheets: a `'` before every = + - @ that could start a cell, so it reads as text."""
    return _FORMULA_START.sub(r"\1'", value)


def csv_record(vault: Vault, user: StaffUser, feedback: Feedback) -> list[str]:
    # Every column: staff emails and tags are typed by people too.
    return [_cell(value) for value in _csv_values(vault, user, feedback)]


def _csv_values(vault: Vault, user: StaffUser, feedback: Feedback) -> list[str]:
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
        ";".join(tags_of(feedback, vault)),
        readable_text(feedback, user, vault) or "",
        pseudonym(feedback),
    ]


def _csv_lines(
    runtime: Runtime, user_id: int, filters: Filters, first: list[list[str]], after: str | None, tz
) -> Iterator[str]:
    buffer = io.StringIO()
    # Every field quoted: a `,` or `;` in a text stays inside its cell for a program that reads CSV right.
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)

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
    with runtime.database() as db:
        user = db.get(StaffUser, user_id)
        for count, feedback in enumerate(each_feedback(db, user, filters, before=after, tz=tz), start=1):
            writer.writerow(csv_record(runtime.vault, user, feedback))
            record_reads(db, [feedback], user, READ_IN_EXPORT)
            if count % MAX_PAGE_SIZE == 0:
                yield flush()
        db.commit()
    yield flush()


@router.get("/export.csv")
def export_csv(request: Request, user: DeskStaffDep, db: DbDep, runtime: RuntimeDep) -> Response:
    tz = ZoneInfo(runtime.settings.timezone)
    try:
        filters = Filters.parse(request.query_params)
        first = feedback_page(db, user, filters, limit=MAX_PAGE_SIZE, tz=tz)
    except InvalidFilter as invalid:
        return PlainTextResponse(str(invalid), status_code=400)
    records = [csv_record(runtime.vault, user, item) for item in first.items]
    record_reads(db, first.items, user, READ_IN_EXPORT)
    db.commit()
    filename = f"baro-feedback-{datetime.now(tz).date().isoformat()}.csv"
    return StreamingResponse(
        _csv_lines(runtime, user.id, filters, records, first.next, tz),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
