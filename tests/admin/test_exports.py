"""The inbox's exports: XLSX for people (labels), CSV for programs (codes), the same columns in both, the inbox's
filters, an optional HXL hashtag row, and what each role may read of a confidential report."""

import csv
import io
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.cases.sealed import seal
from bot.db import transaction
from bot.models import CaseEvent, Feedback, Partner, Referral, utcnow
from bot.vocabulary import CaseStatus, Kind, ReferralStatus
from tests import domain_support as rows
from tests.admin.test_inbox_page import sign_in

RECEIVED = utcnow().replace(microsecond=0) - timedelta(days=3)
HEADERS = [
    "Reference", "Received", "Kind", "Category", "Site", "Language", "Channel", "Status", "Assigned to", "Tags",
    "Text", "Person (pseudonym)", "Outcome", "First response (hours)", "Resolved on", "Referred to",
    "Referral status", "Referred on", "Next step due by", "Overdue",
]


@pytest.fixture
def cases(runtime) -> dict[str, str]:
    """A resolved water complaint referred to a partner, an overdue need at Sogoniko, a confidential report
    referred to a protection partner: their references."""
    vault = runtime.vault
    with transaction(runtime.database) as db:
        person = rows.person(db, vault)
        water = Partner(name="=Eau pour tous", services=["water_sanitation"])
        protection = Partner(name="Musow Lakana", services=["threat"])
        db.add_all([water, protection])
        complaint = rows.case(
            db, person, "Les latrines débordent", category="water_sanitation", status=CaseStatus.RESOLVED,
            created_at=RECEIVED, first_response_at=RECEIVED + timedelta(hours=3),
            resolved_at=RECEIVED + timedelta(days=2), outcome="Latrines vidées", language="bm",
        )
        need = rows.case(
            db, person, "Pas de travail", kind=Kind.NEED, category="livelihoods", site_slug="sogoniko",
            created_at=RECEIVED + timedelta(minutes=1), channel="whatsapp",
        )
        need.acknowledge_by = need.due_at = RECEIVED + timedelta(hours=48)
        report = rows.case(
            db, person, "Mon voisin me menace", kind=Kind.CONFIDENTIAL, category="threat", vault=vault,
            created_at=RECEIVED + timedelta(minutes=2),
        )
        report.outcome, report.outcome_encrypted = seal(vault, report, "Relogée chez sa soeur")
        db.flush()
        db.add_all([
            Referral(feedback_id=complaint.id, partner_id=water.id, status=ReferralStatus.DECLINED,
                     created_at=RECEIVED + timedelta(hours=1)),
            Referral(feedback_id=complaint.id, partner_id=water.id, status=ReferralStatus.ACCEPTED,
                     created_at=RECEIVED + timedelta(hours=5), accepted_at=RECEIVED + timedelta(hours=6)),
            Referral(feedback_id=report.id, partner_id=protection.id, status=ReferralStatus.SENT,
                     created_at=RECEIVED + timedelta(hours=1)),
        ])
        return {"complaint": complaint.reference, "need": need.reference, "report": report.reference}


def xlsx(client, **params) -> list[list]:
    response = client.get("/admin/export.xlsx", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment") and ".xlsx" in disposition
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def csv_rows(client, **params) -> list[list[str]]:
    response = client.get("/admin/export.csv", params=params)
    assert response.status_code == 200, response.text
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def by_reference(table: list[list]) -> dict[str, dict]:
    header, *body = table
    return {row[0]: dict(zip(header, row, strict=True)) for row in body}


def test_the_xlsx_names_things_as_staff_read_them_with_the_new_columns(client, runtime, cases):
    sign_in(client, runtime, "awa@ong.ml", "triage")

    table = xlsx(client)

    assert table[0] == HEADERS
    complaint = by_reference(table)[cases["complaint"]]
    assert complaint["Kind"] == "Complaint" and complaint["Category"] == "Water and sanitation"
    assert complaint["Site"] == "Niamana" and complaint["Language"] == "Bamanankan" and complaint["Channel"] == "SMS"
    assert complaint["Status"] == "Resolved" and complaint["Text"] == "Les latrines débordent"
    assert complaint["Outcome"] == "Latrines vidées" and complaint["First response (hours)"] == 3.0
    # Dates are dates to the spreadsheet, in the line's time zone (Bamako: UTC+0).
    assert complaint["Received"] == RECEIVED.replace(tzinfo=None)
    assert complaint["Resolved on"] == (RECEIVED + timedelta(days=2)).replace(tzinfo=None)
    # The latest referral: the partner's name is a text, never a formula.
    assert complaint["Referred to"] == "=Eau pour tous" and complaint["Referral status"] == "Accepted by the partner"
    assert complaint["Referred on"] == (RECEIVED + timedelta(hours=5)).replace(tzinfo=None)
    assert complaint["Overdue"] == "No" and complaint["Next step due by"] is None
    need = by_reference(table)[cases["need"]]
    assert need["Category"] == "Work and income" and need["Channel"] == "WhatsApp" and need["Overdue"] == "Yes"
    assert need["Referred to"] is None and need["First response (hours)"] is None
    assert isinstance(need["Next step due by"], datetime)


def test_the_csv_has_the_same_columns_as_codes(client, runtime, cases):
    sign_in(client, runtime, "awa@ong.ml", "triage")

    table = csv_rows(client)

    assert len(table[0]) == len(HEADERS)
    complaint = by_reference(table)[cases["complaint"]]
    assert (complaint["kind"], complaint["category"], complaint["site"], complaint["language"]) == (
        "complaint", "water_sanitation", "niamana", "bm"
    )
    assert complaint["outcome"] == "Latrines vidées" and complaint["first_response_hours"] == "3.0"
    assert datetime.fromisoformat(complaint["resolved_at"]) == RECEIVED + timedelta(days=2)
    assert complaint["referral_partner"] == "'=Eau pour tous"  # kept from running as a formula
    assert complaint["referral_status"] == "accepted"
    assert datetime.fromisoformat(complaint["referred_at"]) == RECEIVED + timedelta(hours=5)
    assert complaint["overdue"] == "false" and by_reference(table)[cases["need"]]["overdue"] == "true"


def test_the_hxl_row_goes_under_the_header_in_both(client, runtime, cases):
    sign_in(client, runtime, "awa@ong.ml", "triage")

    coded, labelled = csv_rows(client, hxl="1"), xlsx(client, hxl="1")

    for table in (coded, labelled):
        tags = dict(zip(table[0], table[1], strict=True))
        assert all(tag.startswith("#") for tag in table[1]) and len(table) == 4  # header, hashtags, two cases
        assert tags.get("reference", tags.get("Reference")) == "#meta+id"
        assert tags.get("category", tags.get("Category")) == "#sector"
        assert tags.get("created_at", tags.get("Received")) == "#date+reported"
    assert dict(zip(coded[0], coded[1], strict=True))["site"] == "#loc+code"
    assert dict(zip(labelled[0], labelled[1], strict=True))["Site"] == "#loc+name"
    assert not csv_rows(client, hxl="0")[1][0].startswith("#")
    assert client.get("/admin/export.xlsx", params={"hxl": "yes"}).status_code == 400
    assert client.get("/admin/export.csv", params={"hxl": "2"}).status_code == 400


def test_triage_never_gets_a_confidential_report_nor_its_outcome_or_partner(client, runtime, cases):
    sign_in(client, runtime, "awa@ong.ml", "triage")

    for response in (client.get("/admin/export.xlsx"), client.get("/admin/export.csv")):
        body = response.content
        assert cases["report"].encode() not in body and b"Musow" not in body
    assert cases["report"] not in by_reference(xlsx(client))
    text = client.get("/admin/export.csv").text
    assert "menace" not in text and "Relogée" not in text and "Musow" not in text


def test_protection_gets_the_confidential_report_whole_and_the_read_is_in_its_trail(client, runtime, cases):
    sign_in(client, runtime, "mariam@ong.ml", "protection")

    report = by_reference(xlsx(client))[cases["report"]]

    assert report["Kind"] == "Confidential report" and report["Text"] == "Mon voisin me menace"
    assert report["Outcome"] == "Relogée chez sa soeur" and report["Referred to"] == "Musow Lakana"
    assert report["Referral status"] == "Sent to the partner"
    with runtime.database() as db:
        feedback_id = db.scalar(select(Feedback.id).where(Feedback.reference == cases["report"]))
        reads = db.scalars(select(CaseEvent.action).where(CaseEvent.feedback_id == feedback_id)).all()
    assert reads == ["read_export"]


def test_the_exports_follow_the_inbox_filters(client, runtime, cases):
    sign_in(client, runtime, "awa@ong.ml", "triage")

    assert list(by_reference(xlsx(client, site="sogoniko"))) == [cases["need"]]
    assert list(by_reference(csv_rows(client, kind="complaint"))) == [cases["complaint"]]
    assert client.get("/admin/export.xlsx", params={"status": "lost"}).status_code == 400
    assert client.get("/admin/export.xlsx", params={"site": "nowhere"}).status_code == 400


def test_the_inbox_links_to_both_exports_with_its_filters(client, runtime, cases):
    sign_in(client, runtime, "awa@ong.ml", "triage")
    page = client.get("/admin/inbox", params={"site": "sogoniko"}).text
    assert 'href="/admin/export.csv?site=sogoniko"' in page
    assert 'href="/admin/export.xlsx?site=sogoniko"' in page
    assert 'href="/admin/export.csv?site=sogoniko&amp;hxl=1"' in page


def test_an_organizer_is_refused_the_xlsx(client, runtime):
    sign_in(client, runtime, "moussa@ong.ml", "organizer")
    assert client.get("/admin/export.xlsx").status_code == 403
