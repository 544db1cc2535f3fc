"""/api/v1 for organizers: assemblies and broadcasts by organizer or admin token, as the issue describes them,
documented in the OpenAPI schema; bad input is a 4xx saying why, and numbers are only ever masked."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.models import Assembly, Message, utcnow
from tests.api.test_feedback_api import token_for

ONBOARD_FR = ("Bonjour", "1", "1")
MOPTI = "4"
FULL_NUMBER = re.compile(r"\+?223\s?7000000\d")


@pytest.fixture
def organizer(runtime) -> dict[str, str]:
    return token_for(runtime, "moussa@ong.ml", "organizer")


def starts(days: int = 10, hour: int = 10) -> str:
    day = (utcnow() + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC).isoformat()


def body(**fields) -> dict:
    return {
        "site": "mopti",
        "title": {"fr": "Assemblée de Mopti", "bm": "Mopti lajɛ"},
        "description": {"fr": "L'eau et les abris."},
        "starts_at": starts(),
        "place": "École de Sévaré",
        "capacity": 1,
        **fields,
    }


def create(client, headers, **fields) -> dict:
    response = client.post("/api/v1/assemblies", json=body(**fields), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.parametrize("role", ["triage", "protection"])
def test_desk_tokens_get_403(client, runtime, role):
    headers = token_for(runtime, f"{role}@ong.ml", role)
    assert client.get("/api/v1/assemblies", headers=headers).status_code == 403
    assert client.post("/api/v1/assemblies", json=body(), headers=headers).status_code == 403
    assert client.get("/api/v1/assemblies/1/signups", headers=headers).status_code == 403
    assert client.post("/api/v1/broadcasts", json={"texts": {"fr": "x"}}, headers=headers).status_code == 403
    assert client.get("/api/v1/broadcasts/1", headers=headers).status_code == 403
    with runtime.database() as db:
        assert db.scalar(select(Assembly).where(Assembly.title == "Assemblée de Mopti")) is None


def test_without_a_token_401(client):
    assert client.get("/api/v1/assemblies").status_code == 401
    assert client.post("/api/v1/broadcasts", json={"texts": {"fr": "x"}}).status_code == 401


def test_an_assembly_is_created_announced_listed_and_read(client, runtime, organizer, phone):
    phone.converse(*ONBOARD_FR, "3", MOPTI, "1")  # asks to hear of the next assembly at Mopti
    created = create(client, organizer)
    assert created["announced_to"] == 1
    assert created["site"] == "mopti" and created["title"] == {"fr": "Assemblée de Mopti", "bm": "Mopti lajɛ"}
    assert created["capacity"] == 1 and created["status"] == "planned"
    assert (created["confirmed"], created["waiting"]) == (0, 0)
    assert datetime.fromisoformat(created["starts_at"]) == datetime.fromisoformat(starts())

    listed = client.get("/api/v1/assemblies", headers=organizer).json()["items"]
    assert created["id"] in [item["id"] for item in listed]
    assert len(listed) == 4  # the three demo assemblies of Bamako, and this one
    assert [item["id"] for item in client.get("/api/v1/assemblies?site=mopti", headers=organizer).json()["items"]] == [
        created["id"]
    ]
    one = client.get(f"/api/v1/assemblies/{created['id']}", headers=organizer).json()
    assert one == {key: value for key, value in created.items() if key != "announced_to"}


def test_sign_ups_are_counted_and_listed_masked(client, runtime, organizer, make_phone):
    assembly = create(client, organizer)
    for number in ("+22370000001", "+22370000002"):
        person = make_phone(number)
        person.converse(*ONBOARD_FR, "3", MOPTI, "1", "oui")
    one = client.get(f"/api/v1/assemblies/{assembly['id']}", headers=organizer).json()
    assert (one["confirmed"], one["waiting"]) == (1, 1)

    response = client.get(f"/api/v1/assemblies/{assembly['id']}/signups", headers=organizer)
    assert response.status_code == 200
    items = response.json()["items"]
    assert [(item["status"], item["contact"], item["language"], item["channel"]) for item in items] == [
        ("confirmed", "+223 •• •• •• 01", "fr", "sms"),
        ("waiting", "+223 •• •• •• 02", "fr", "sms"),
    ]
    assert all(re.fullmatch(r"[A-Z2-9]{6}", item["reference"]) for item in items)
    assert not FULL_NUMBER.search(response.text)


def test_patch_moves_or_cancels_and_everyone_is_told(client, runtime, organizer, make_phone):
    assembly = create(client, organizer)
    make_phone("+22370000001").converse(*ONBOARD_FR, "3", MOPTI, "1", "oui")
    url = f"/api/v1/assemblies/{assembly['id']}"

    moved = client.patch(url, json={"starts_at": starts(hour=15)}, headers=organizer)
    assert moved.status_code == 200, moved.text
    assert moved.json()["told"] == 1 and datetime.fromisoformat(moved.json()["starts_at"]).hour == 15
    same = client.patch(url, json={"place": "École de Sévaré"}, headers=organizer)
    assert same.json()["told"] == 0

    cancelled = client.patch(url, json={"status": "cancelled"}, headers=organizer)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["told"] == 1
    with runtime.database() as db:
        texts = list(db.scalars(select(Message.text).where(Message.lane == "bulk")))
    assert len(texts) == 2  # the move and the cancellation, each once

    back = client.patch(url, json={"status": "planned"}, headers=organizer)
    assert back.status_code == 422 and "cannot go from" in back.json()["detail"]


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"starts_at": "2026-12-20T10:00:00"}, None),  # no offset: pydantic says so
        ({"starts_at": "demain"}, None),
        ({"starts_at": "2020-01-01T10:00:00+00:00"}, "must start in the future"),
        ({"site": "atlantis"}, "unknown site"),
        ({"title": {"bm": "Mopti lajɛ"}}, "A title in fr is required"),
        ({"title": {"fr": "x" * 41}}, "40 characters at most"),
        ({"title": {"xx": "?"}}, "is not a language of this line"),
        ({"capacity": 0}, "The capacity is a number of places"),
        ({"capacity": 10**30}, "The capacity is a number of places"),
        ({"place": ""}, "Say where the assembly is held."),
        ({"colour": "blue"}, None),  # an unknown field is refused, not ignored
        ({"place": "École\x00"}, None),  # PostgreSQL cannot store a NUL: refused before the database
        ({"title": {"fr": "Assemblée\x00"}}, None),
    ],
)
def test_bad_assembly_input_is_a_422_that_says_why(client, runtime, organizer, fields, says):
    response = client.post("/api/v1/assemblies", json=body(**fields), headers=organizer)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert detail
    if says:
        assert says in detail


def test_unknown_ids_are_404(client, organizer):
    for raw in ("424242", "abc", "²", "99999999999999999999"):
        assert client.get(f"/api/v1/assemblies/{raw}", headers=organizer).status_code == 404
        assert client.get(f"/api/v1/assemblies/{raw}/signups", headers=organizer).status_code == 404
        assert client.patch(f"/api/v1/assemblies/{raw}", json={}, headers=organizer).status_code == 404
        assert client.get(f"/api/v1/broadcasts/{raw}", headers=organizer).status_code == 404


def test_a_broadcast_is_sent_with_its_reach_and_its_progress_read(client, runtime, organizer, make_phone):
    make_phone("+22370000001").converse(*ONBOARD_FR)
    make_phone("+22370000002").converse("I ni ce", "2", "1")
    make_phone("+22370000003").converse("Bonjour", "1", "2")  # refuses consent
    request = {
        "texts": {"fr": "Distribution d'eau demain.", "bm": "Ji tila sini."},
        "audience": {"sites": [], "languages": [], "channels": ["sms"], "assembly": None},
        "send_at": None,
    }
    response = client.post("/api/v1/broadcasts", json=request, headers=organizer)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["recipients"] == 2 and created["status"] == "sending"
    assert created["left_out"] == {"opted_out": 0, "no_consent": 1, "outside_whatsapp_window": 0, "protection": 0}

    progress = client.get(f"/api/v1/broadcasts/{created['id']}", headers=organizer)
    assert progress.status_code == 200
    assert progress.json()["status"] == "sending"
    counts = progress.json()["counts"]
    assert {key: counts[key] for key in ("queued", "sent", "delivered", "failed")} == {
        "queued": 2, "sent": 0, "delivered": 0, "failed": 0
    }

    twice = client.post("/api/v1/broadcasts", json=request, headers=organizer)
    assert twice.status_code == 422 and "not sent twice" in twice.json()["detail"]


@pytest.mark.parametrize(
    ("request_body", "says"),
    [
        ({"texts": {"bm": "Ji tila sini."}}, "Write the text in “fr”"),
        ({"texts": {"fr": "x" * 613}}, "too long"),
        ({"texts": {"fr": "x"}, "audience": {"sites": ["atlantis"]}}, "Unknown site"),
        ({"texts": {"fr": "x"}, "audience": {"channels": ["fax"]}}, "Unknown channel"),
        ({"texts": {"fr": "x"}, "audience": {"assembly": 424242}}, "Unknown assembly"),
        ({"texts": {"fr": "x"}, "send_at": "2020-01-01T09:00:00+00:00"}, "in the past"),
        ({"texts": {"fr": "x"}, "send_at": "2030-01-01T09:00:00"}, None),
        ({"texts": "x"}, None),
        ({"texts": {"fr": "x"}, "audience": {"everyone": True}}, None),
        ({"texts": {"fr": "Eau\x00"}}, None),
        ({"texts": {"fr": "x"}, "audience": {"sites": ["gao\x00"]}}, None),
    ],
)
def test_bad_broadcast_input_is_a_422_that_says_why(client, organizer, request_body, says):
    response = client.post("/api/v1/broadcasts", json=request_body, headers=organizer)
    assert response.status_code == 422, response.text
    if says:
        assert says in response.json()["detail"]


def test_everything_is_described_in_the_openapi_schema(client):
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    assert {"post", "get"} <= set(paths["/api/v1/assemblies"])
    assert {"get", "patch"} <= set(paths["/api/v1/assemblies/{assembly_id}"])
    assert "get" in paths["/api/v1/assemblies/{assembly_id}/signups"]
    assert "post" in paths["/api/v1/broadcasts"]
    assert "get" in paths["/api/v1/broadcasts/{broadcast_id}"]
    components = schema["components"]["schemas"]
    for name in ("AssemblyIn", "AssemblyOut", "SignupItem", "BroadcastIn", "BroadcastCreated", "BroadcastProgress"):
        assert components[name]["description"], name
    assert components["SignupItem"]["properties"]["contact"]["description"].startswith("The phone number, masked")
    assert "403" in paths["/api/v1/broadcasts"]["post"]["responses"]
