"""/api/v1: the triage queue by API token, with the inbox's filters, keyset pages and access rules,
described in the OpenAPI schema, and never a phone number."""

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.accounts import issue_api_token
from bot.cases.targets import set_targets
from bot.db import transaction
from bot.models import Feedback, StaffUser, utcnow
from tests.admin.test_inbox_page import add_contact, add_feedback, file_confidential_report
from tests.admin_support import feedback_by_text, make_staff, submit_complaint

PHONE_DIGITS = re.compile(r"7000000\d")


def token_for(runtime, email: str, role: str, sites: tuple[str, ...] = ()) -> dict[str, str]:
    """A staff member and their API token (what `baro users token` prints), as request headers."""
    staff_id = make_staff(runtime, email, role, sites)
    with transaction(runtime.database) as db:
        token = issue_api_token(db.get(StaffUser, staff_id))
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def contact(runtime):
    return add_contact(runtime, "+22376543201")


def test_without_a_valid_token_the_api_answers_401(client, runtime):
    assert client.get("/api/v1/feedback").status_code == 401
    assert client.get("/api/v1/feedback", headers={"Authorization": "Bearer baro_wrong"}).status_code == 401
    assert client.get("/api/v1/feedback", headers={"Authorization": "Basic YTpi"}).status_code == 401
    response = client.get("/api/v1/feedback/ABCDEF")
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"


def test_a_token_lists_submissions_newest_first_without_phone_numbers(client, runtime, make_phone):
    submit_complaint(make_phone("+22370000001"), "Les latrines débordent")
    submit_complaint(make_phone("+22370000002"), "Plus d'eau au forage", site="2", category="1")
    headers = token_for(runtime, "awa@ong.ml", "triage")

    response = client.get("/api/v1/feedback", headers=headers)

    assert response.status_code == 200
    body = response.json()
    assert body["next"] is None
    assert [item["text"] for item in body["items"]] == ["Plus d'eau au forage", "Les latrines débordent"]
    water = body["items"][1]
    feedback = feedback_by_text(runtime, "Les latrines débordent")
    with runtime.database() as db:
        phone_hash = db.get(Feedback, feedback.id).contact.phone_hash
    assert water == {
        "reference": feedback.reference,
        "created_at": water["created_at"],
        "kind": "complaint",
        "category": "water_sanitation",
        "site": "niamana",
        "language": "fr",
        "channel": "sms",
        "status": "new",
        "confidential": False,
        "assignee": None,
        "tags": [],
        "text": "Les latrines débordent",
        "contact": phone_hash[:12],
        "respond_by": None,  # not taken in yet: no targets
        "overdue": False,
        "referral": None,
        "attachments": [],
    }
    assert water["created_at"].endswith(("Z", "+00:00"))
    assert not PHONE_DIGITS.search(response.text)


def test_one_item_by_reference(client, runtime, make_phone):
    submit_complaint(make_phone("+22370000001"), "Les latrines débordent")
    reference = feedback_by_text(runtime, "Les latrines débordent").reference
    headers = token_for(runtime, "awa@ong.ml", "triage")
    item = client.get(f"/api/v1/feedback/{reference}", headers=headers)
    assert item.status_code == 200 and item.json()["text"] == "Les latrines débordent"
    assert client.get(f"/api/v1/feedback/{reference.lower()}", headers=headers).json()["reference"] == reference
    assert client.get("/api/v1/feedback/ZZZZZZ", headers=headers).status_code == 404
    assert not PHONE_DIGITS.search(item.text)


def test_filters_and_search_are_the_inbox_ones(client, runtime, contact):
    add_feedback(runtime, contact, 3, site="niamana")
    gao = add_feedback(runtime, contact, 2, site="gao", status="resolved")
    (forage,) = add_feedback(runtime, contact, 1, site="gao", text="Le FORAGE est en panne")
    headers = token_for(runtime, "awa@ong.ml", "triage")

    def references(**params):
        response = client.get("/api/v1/feedback", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return [item["reference"] for item in response.json()["items"]]

    assert references(site="gao") == [forage, *gao[::-1]]
    assert references(site="gao", status="resolved") == gao[::-1]
    assert references(q="forage") == [forage]
    assert references(q=gao[0].lower()) == [gao[0]]
    assert references(kind="need") == []


def test_the_cursor_pages_through_everything_once(client, runtime, contact):
    references = add_feedback(runtime, contact, 120)
    headers = token_for(runtime, "awa@ong.ml", "triage")
    seen, params, pages = [], {"limit": "50"}, 0
    while True:
        body = client.get("/api/v1/feedback", params=params, headers=headers).json()
        seen += [item["reference"] for item in body["items"]]
        pages += 1
        if body["next"] is None:
            break
        params = {"limit": "50", "before": body["next"]}
    assert pages == 3 and seen == references[::-1]


def test_a_confidential_report_is_invisible_to_triage_and_readable_by_protection(client, runtime, make_phone):
    submit_complaint(make_phone("+22370000001"), "Les latrines débordent")
    report = file_confidential_report(make_phone, runtime, details="Mon voisin me menace")
    triage = token_for(runtime, "awa@ong.ml", "triage")

    listing = client.get("/api/v1/feedback", headers=triage).json()
    assert report.reference not in [item["reference"] for item in listing["items"]]
    assert client.get("/api/v1/feedback", params={"q": report.reference}, headers=triage).json()["items"] == []
    missing = client.get(f"/api/v1/feedback/{report.reference}", headers=triage)
    unknown = client.get("/api/v1/feedback/ZZZZZZ", headers=triage)
    assert missing.status_code == unknown.status_code == 404
    assert missing.json() == unknown.json()  # reveals nothing

    protection = token_for(runtime, "fanta@ong.ml", "protection")
    item = client.get(f"/api/v1/feedback/{report.reference}", headers=protection).json()
    assert item["confidential"] is True and item["kind"] == "confidential"
    assert item["text"] == "Mon voisin me menace"
    listed = client.get("/api/v1/feedback", headers=protection).json()["items"]
    assert report.reference in [entry["reference"] for entry in listed]


def test_a_report_filed_with_the_usual_answers_gives_404_to_triage(client, runtime, phone):
    phone.converse("Bonjour", "1", "1", "4", "1", "0", "3")
    with runtime.database() as db:
        reference = db.scalar(select(Feedback.reference).where(Feedback.confidential.is_(True)))
    triage = token_for(runtime, "awa@ong.ml", "triage")
    assert client.get("/api/v1/feedback", headers=triage).json() == {"items": [], "next": None}
    assert client.get(f"/api/v1/feedback/{reference}", headers=triage).status_code == 404
    protection = token_for(runtime, "fanta@ong.ml", "protection")
    item = client.get(f"/api/v1/feedback/{reference}", headers=protection).json()
    assert item["reference"] == reference and item["text"] is None


def test_triage_limited_to_a_site_gets_404_for_another_site(client, runtime, contact):
    niamana = add_feedback(runtime, contact, 2, site="niamana")
    (gao,) = add_feedback(runtime, contact, 1, site="gao")
    headers = token_for(runtime, "awa@ong.ml", "triage", sites=("niamana",))
    body = client.get("/api/v1/feedback", headers=headers).json()
    assert [item["reference"] for item in body["items"]] == niamana[::-1]
    assert client.get(f"/api/v1/feedback/{gao}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/feedback/{niamana[0]}", headers=headers).status_code == 200


def test_an_organizer_token_is_refused(client, runtime, contact):
    (reference,) = add_feedback(runtime, contact, 1)
    headers = token_for(runtime, "moussa@ong.ml", "organizer")
    assert client.get("/api/v1/feedback", headers=headers).status_code == 403
    assert client.get(f"/api/v1/feedback/{reference}", headers=headers).status_code == 403


@pytest.mark.parametrize(
    "params",
    [
        {"status": "bogus"},
        {"site": "atlantis"},
        {"date_to": "yesterday"},
        {"assignee": "-1"},
        {"before": "%%%"},
        {"before": "MDAwMS0wMS0wMVQwMDowMDowMCswNTowMHwx"},  # year 1, and a time zone
        {"before": "MjAyNi0wMS0wMVQwMDowMDowMCswMDowMHw5OTk5OTk5OTk5OTk5OTk5OTk5OTk5"},  # an id past bigint
        {"limit": "0"},
        {"limit": "1000"},
        {"limit": "ten"},
    ],
)
def test_an_invalid_filter_is_a_400_with_its_reason(client, runtime, params):
    headers = token_for(runtime, "awa@ong.ml", "triage")
    response = client.get("/api/v1/feedback", params=params, headers=headers)
    assert response.status_code == 400
    assert response.json()["detail"]


def test_the_openapi_schema_describes_the_api(client):
    schema = client.get("/openapi.json").json()
    assert "/api/v1/feedback" in schema["paths"] and "/api/v1/feedback/{reference}" in schema["paths"]
    listing = schema["paths"]["/api/v1/feedback"]["get"]
    assert {"status", "kind", "category", "site", "language", "channel", "assignee", "date_from", "date_to", "q",
            "before", "limit"} <= {parameter["name"] for parameter in listing["parameters"]}
    page_ref = listing["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert page_ref.endswith("/FeedbackPage")
    item = schema["components"]["schemas"]["FeedbackItem"]["properties"]
    assert {"reference", "created_at", "kind", "category", "site", "language", "channel", "status", "assignee",
            "tags", "text", "contact"} <= set(item)
    assert not any("phone" in name for name in item)



def test_each_case_says_when_its_next_step_is_due_and_whether_it_is_overdue(client, runtime, contact):
    now = utcnow()
    came = {"new": now - timedelta(hours=1), "late": now - timedelta(hours=49), "answered": now - timedelta(hours=49)}
    references = {name: add_feedback(runtime, contact, 1, start=start)[0] for name, start in came.items()}
    references["resolved"] = add_feedback(runtime, contact, 1, status="resolved")[0]
    references["sign-up"] = add_feedback(runtime, contact, 1, kind="assembly", category="confirmed")[0]
    with transaction(runtime.database) as db:
        for feedback in db.scalars(select(Feedback).where(Feedback.reference.in_(references.values()))):
            if feedback.reference == references["answered"]:
                feedback.first_response_at, feedback.status = now - timedelta(hours=40), "acknowledged"
            if feedback.reference == references["resolved"]:
                feedback.first_response_at = feedback.resolved_at = feedback.created_at
            set_targets(feedback, runtime.settings)  # as the intake does: 48 h to acknowledge, 14 days to resolve
    headers = token_for(runtime, "awa@ong.ml", "triage")

    def due(name: str) -> tuple[datetime | None, bool]:
        item = client.get(f"/api/v1/feedback/{references[name]}", headers=headers).json()
        return item["respond_by"] and datetime.fromisoformat(item["respond_by"]), item["overdue"]

    assert due("new") == (came["new"] + timedelta(hours=48), False)
    assert due("late") == (came["late"] + timedelta(hours=48), True)
    assert due("answered") == (came["answered"] + timedelta(days=14), False)  # acknowledged: resolving is next
    assert due("resolved") == due("sign-up") == (None, False)
    page = client.get("/api/v1/feedback", headers=headers).json()["items"]
    assert [item["reference"] for item in page if item["overdue"]] == [references["late"]]
