"""The inbox's exports: CSV (codes, for programs) and XLSX (labels, for people), with the inbox's filters.

Both read through `bot.cases.queries` (what a filter means, what each user may see) and write the columns of
`bot.cases.export`; `?hxl=1` adds the HXL hashtag row under the header. Every confidential report read is
written in its trail.
"""

import csv
import io
import os
import re
import tempfile
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, PlainTextResponse, Response, StreamingResponse
from starlette.background import BackgroundTask

from bot.cases import export
from bot.cases.lifecycle import READ_IN_EXPORT, record_reads
from bot.cases.queries import MAX_PAGE_SIZE, Filters, InvalidFilter, feedback_page
from bot.models import StaffUser, utcnow
from bot.runtime import Runtime
from bot.web.deps import DbDep, DeskStaffDep, InterfaceDep, RuntimeDep

router = APIRouter(prefix="/admin")

CSV_COLUMNS = tuple(column.key for column in export.COLUMNS)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_FORMAT = "yyyy-mm-dd hh:mm"
CELL_MAX = 32_767  # characters in one cell, for Excel
# Columns of people's words are wider in the XLSX; the others fit their values.
WIDE = {"text": 60, "outcome": 40, "tags": 20, "assignee": 24}


class _BadOption(ValueError):
    """An export option that cannot be meant: a 400, never a 500."""


def _hxl(request: Request) -> bool:
    value = (request.query_params.get("hxl") or "").strip()
    if value not in ("", "0", "1"):
        raise _BadOption("hxl is 1 (add the HXL hashtag row) or 0.")
    return value == "1"


def _filename(tz: ZoneInfo, suffix: str) -> str:
    return f"baro-feedback-{datetime.now(tz).date().isoformat()}.{suffix}"


# --- CSV -----------------------------------------------------------------------------------------


# Where a spreadsheet may start a cell in a text: its start, and after a separator (`,` here; `;` in French
# spreadsheets, which split our `,` file there; tab) or a line break; spaces and quotes may come between,
# for programs that trim them. A cell that then starts with = + - @ (or their full-width forms) is run.
_FORMULA_START = re.compile(r"((?:^|[,;\t\r\n])[\s\"]*)(?=[=+\-@＝＋－＠])")


def spreadsheet_safe(value: str) -> str:
    """A value made safe for spreadsheets: a `'` before every = + - @ that could start a cell, so it reads as text."""
    return _FORMULA_START.sub(r"\1'", value)


def _csv_value(value: export.Value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def csv_record(row: export.Row) -> list[str]:
    # Every column: staff emails, tags and partners' names are typed by people too.
    return [spreadsheet_safe(_csv_value(column.value(row, None))) for column in export.COLUMNS]


def _csv_lines(
    runtime: Runtime, user_id: int, filters: Filters, head: list[list[str]], after: str | None, tz: ZoneInfo
) -> Iterator[str]:
    buffer = io.StringIO()
    # Every field quoted: a `,` or `;` in a text stays inside its cell for a program that reads CSV right.
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerows(head)
    yield "\ufeff" + flush()  # the BOM: spreadsheet programs then read the accents right
    if after is None:
        return
    # The rest in batches with a session of its own: the request's may be closed by now.
    with runtime.database() as db:
        user = db.get(StaffUser, user_id)
        for batch in export.batches(db, user, runtime.vault, filters, tz, utcnow(), before=after):
            writer.writerows(csv_record(row) for row in batch)
            record_reads(db, [row.feedback for row in batch], user, READ_IN_EXPORT)
            yield flush()
        db.commit()


@router.get("/export.csv")
def export_csv(request: Request, user: DeskStaffDep, db: DbDep, runtime: RuntimeDep) -> Response:
    tz = ZoneInfo(runtime.settings.timezone)
    try:
        hxl = _hxl(request)
        filters = Filters.parse(request.query_params)
        first = feedback_page(db, user, filters, limit=MAX_PAGE_SIZE, tz=tz)
    except (InvalidFilter, _BadOption) as invalid:
        return PlainTextResponse(str(invalid), status_code=400)
    head = [list(CSV_COLUMNS)]
    if hxl:
        head.append([column.hashtag(labelled=False) for column in export.COLUMNS])
    head += [csv_record(row) for row in export.rows(db, user, runtime.vault, first.items, utcnow())]
    record_reads(db, first.items, user, READ_IN_EXPORT)
    db.commit()
    return StreamingResponse(
        _csv_lines(runtime, user.id, filters, head, first.next, tz),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{_filename(tz, "csv")}"',
            "Cache-Control": "no-store",
        },
    )


# --- XLSX ----------------------------------------------------------------------------------------


def _xlsx_cell(sheet, value: export.Value, tz: ZoneInfo):
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, datetime):
        # A spreadsheet knows no time zones: the time where the staff work.
        cell = WriteOnlyCell(sheet, value=value.astimezone(tz).replace(tzinfo=None))
        cell.number_format = DATE_FORMAT
        return cell
    if isinstance(value, str):
        # Control characters have no place in the file's XML, nor more than a cell holds in Excel; and a text
        # is always a text, never a formula.
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value)[:CELL_MAX])
        cell.data_type = "s"
        return cell
    return WriteOnlyCell(sheet, value=value)


def _workbook(db, user: StaffUser, runtime: Runtime, filters: Filters, reading: export.Reading, hxl: bool, tz) -> str:
    """The XLSX written to a temporary file, a batch at a time (write-only: rows are not kept in memory)."""
    # openpyxl: imported when used, not with the web process: 17 MB every gunicorn worker would carry otherwise
    # (bench/capacity.py).
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet("baro")
    for index, column in enumerate(export.COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = WIDE.get(column.key, 16)
    sheet.freeze_panes = "A3" if hxl else "A2"
    bold = Font(bold=True)
    titles = []
    for column in export.COLUMNS:
        cell = _xlsx_cell(sheet, reading.gettext(column.title), tz)
        cell.font = bold
        titles.append(cell)
    sheet.append(titles)
    if hxl:
        sheet.append([_xlsx_cell(sheet, column.hashtag(labelled=True), tz) for column in export.COLUMNS])
    for batch in export.batches(db, user, runtime.vault, filters, tz, utcnow()):
        for row in batch:
            sheet.append([_xlsx_cell(sheet, column.value(row, reading), tz) for column in export.COLUMNS])
        record_reads(db, [row.feedback for row in batch], user, READ_IN_EXPORT)
    handle, path = tempfile.mkstemp(prefix="baro-export-", suffix=".xlsx")
    os.close(handle)
    try:
        book.save(path)
    except BaseException:
        os.unlink(path)
        raise
    return path


@router.get("/export.xlsx")
def export_xlsx(
    request: Request, user: DeskStaffDep, db: DbDep, runtime: RuntimeDep, interface: InterfaceDep
) -> Response:
    tz = ZoneInfo(runtime.settings.timezone)
    try:
        hxl = _hxl(request)
        filters = Filters.parse(request.query_params)
        feedback_page(db, user, filters, limit=1, tz=tz)  # a filter that names nothing known is refused here
    except (InvalidFilter, _BadOption) as invalid:
        return PlainTextResponse(str(invalid), status_code=400)
    reading = export.Reading(interface.gettext(request), runtime.catalogues.language_name)
    path = _workbook(db, user, runtime, filters, reading, hxl, tz)
    db.commit()  # the trail of every confidential report read
    return FileResponse(
        path,
        media_type=XLSX_TYPE,
        filename=_filename(tz, "xlsx"),
        headers={"Cache-Control": "no-store"},
        background=BackgroundTask(os.unlink, path),
    )
