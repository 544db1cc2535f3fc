"""/admin/assemblies as an organizer uses it: announce an assembly, see it listed, open it, see who signed up
(masked numbers), record who came, export the attendance sheet, move or cancel it and everyone is told."""

import csv
import html
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.models import Assembly, Message, Signup, Site, utcnow
from tests.admin.test_inbox_page import sign_in
from tests.admin_support import csrf_of

ONBOARD_FR = ("Bonjour", "1", "1")
MOPTI = "4"  # in the site menu; the demo data has no assembly there
FULL_NUMBER = re.compile(r"\+?223\s?7000000\d")


def site_id(runtime, slug: str) -> int:
    with runtime.database() as db:
        return db.scalar(select(Site.id).where(Site.slug == slug))


def future_day(days: int = 10) -> str:
    return (utcnow() + timedelta(days=days)).date().isoformat()  # Bamako is on UTC


def announce(client, runtime, **fields):
    page = client.get("/admin/assemblies")
    assert page.status_code == 200, page.text
    data = {
        "csrf": csrf_of(page.text),
        "site": str(site_id(runtime, "mopti")),
        "title_fr": "Assemblée de Mopti",
        "title_bm": "Mopti lajɛ",
        "description_fr": "Parlons de l'eau et des abris.",
        "date": future_day(),
        "time": "10:00",
        "place": "École de Sévaré",
        "capacity": "1",
        **fields,
    }
    return client.post("/admin/assemblies", data=data, follow_redirects=False)


def the_assembly(runtime, title: str = "Assemblée de Mopti") -> Assembly:
    with runtime.database() as db:
        return db.scalar(select(Assembly).where(Assembly.title == title))


def messages_to_people(runtime) -> list[str]:
    with runtime.database() as db:
        return list(db.scalars(select(Message.text).where(Message.direction == "out", Message.lane == "bulk")))


def sign_up(phone, first_time: bool = True) -> str:
    """The person signs up, by SMS, for the first assembly at Mopti."""
    steps = (*ONBOARD_FR, "3", MOPTI) if first_time else ("3",)
    phone.converse(*steps)
    phone.send("1")
    return phone.send("oui")


@pytest.fixture
def organizer(client, runtime):
    return sign_in(client, runtime, "moussa@ong.ml", "organizer")


def test_an_organizer_lands_on_the_assemblies_with_links_to_their_tools(client, runtime, organizer):
    home = client.get("/admin", follow_redirects=False)
    assert home.status_code == 303 and home.headers["location"] == "/admin/assemblies"
    page = client.get("/admin/assemblies")
    assert page.status_code == 200
    assert 'href="/admin/broadcasts"' in page.text and 'href="/admin/inbox"' not in page.text
    # The demo assemblies of the Bamako sites, upcoming, with their places taken and capacity.
    assert "Assemblée citoyenne de Niamana" in page.text and "0 / 60" in page.text


@pytest.mark.parametrize("role", ["triage", "protection"])
def test_desk_accounts_get_the_403_page(client, runtime, role):
    sign_in(client, runtime, "awa@ong.ml", role)
    for url in ("/admin/assemblies", "/admin/broadcasts", "/admin/assemblies/1", "/admin/assemblies/1/attendance.csv"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "no access to assemblies and broadcasts" in response.text


def test_an_admin_has_both_the_desk_and_the_organizer_tools(client, runtime):
    sign_in(client, runtime, "admin@ong.ml", "admin")
    page = client.get("/admin/assemblies")
    assert page.status_code == 200
    assert 'href="/admin/inbox"' in page.text and 'href="/admin/broadcasts"' in page.text


def test_creating_an_assembly_announces_it_to_those_who_asked(client, runtime, organizer, phone):
    phone.converse(*ONBOARD_FR, "3", MOPTI, "1")  # no assembly at Mopti: "tell me of the next one"
    created = announce(client, runtime)
    assert created.status_code == 303
    assembly = the_assembly(runtime)
    assert created.headers["location"] == f"/admin/assemblies/{assembly.id}"
    page = client.get(created.headers["location"])
    assert "1 people who asked to hear of the next one at this site are told" in page.text
    assert assembly.titles == {"fr": "Assemblée de Mopti", "bm": "Mopti lajɛ"}
    assert assembly.starts_at.hour == 10 and assembly.capacity == 1
    (announcement,) = messages_to_people(runtime)
    assert "Assemblée de Mopti" in announcement

    listing = client.get("/admin/assemblies").text
    assert "Assemblée de Mopti" in listing and "École de Sévaré" in listing and "0 / 1" in listing
    assert "Creating it announces it" in listing  # the page says so before the button


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"title_fr": ""}, "A title in fr is required"),
        ({"date": "demain"}, "Give the date (YYYY-MM-DD) and the time (HH:MM)"),
        ({"time": "25:00"}, "Give the date (YYYY-MM-DD) and the time (HH:MM)"),
        ({"date": "0001-01-01"}, "Give the date (YYYY-MM-DD) and the time (HH:MM)"),
        ({"date": "2020-01-01"}, "must start in the future"),
        ({"capacity": "²"}, "The capacity is a number of places"),
        ({"capacity": "0"}, "The capacity is a number of places"),
        ({"site": "99999999999999999999"}, "Choose the assembly&#39;s site"),
        ({"site": "424242"}, "Unknown or inactive site"),
        ({"place": "x" * 41}, "The place is 40 characters at most"),
        ({"title_fr": "y" * 41}, "A title is 40 characters at most"),
    ],
)
def test_a_refused_form_says_why_and_keeps_what_was_typed(client, runtime, organizer, fields, says):
    response = announce(client, runtime, **fields)
    assert response.status_code == 400
    assert says in response.text
    assert "Parlons de l&#39;eau et des abris." in response.text  # typed values kept
    assert the_assembly(runtime) is None


def test_the_roster_shows_sign_ups_masked_records_attendance_and_exports(client, runtime, organizer, make_phone):
    assert announce(client, runtime).status_code == 303
    assembly = the_assembly(runtime)
    first, second = make_phone("+22370000001"), make_phone("+22370000002")
    sign_up(first)
    sign_up(second)  # capacity 1: the waiting list
    with runtime.database() as db:
        signups = {s.contact_id: s for s in db.scalars(select(Signup))}
        places = [s for s in signups.values() if s.status == "confirmed"]
        assert sorted(s.status for s in signups.values()) == ["confirmed", "waiting"]
        references = {s.status: s.feedback.reference for s in signups.values()}

    page = client.get(f"/admin/assemblies/{assembly.id}")
    assert page.status_code == 200
    assert references["confirmed"] in page.text and references["waiting"] in page.text
    assert "+223 •• •• •• 01" in page.text and "+223 •• •• •• 02" in page.text
    assert not FULL_NUMBER.search(page.text)
    assert "1 / 1" in page.text

    recorded = client.post(
        f"/admin/assemblies/{assembly.id}/attendance",
        data={"csrf": csrf_of(page.text), "attended": [str(places[0].id)]},
        follow_redirects=True,
    )
    assert "Attendance recorded." in recorded.text
    with runtime.database() as db:
        assert db.get(Signup, places[0].id).status == "attended"

    export = client.get(f"/admin/assemblies/{assembly.id}/attendance.csv")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    text = export.content.decode("utf-8-sig")
    assert not FULL_NUMBER.search(text)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["reference", "status", "language", "channel", "contact", "attended", "signature"]
    assert rows[1] == [references["confirmed"], "attended", "fr", "sms", "'+223 •• •• •• 01", "yes", ""]
    assert rows[2][:2] == [references["waiting"], "waiting"]
    assert all(line.startswith('"') for line in text.splitlines())  # every field quoted

    sheet = client.get(f"/admin/assemblies/{assembly.id}/sheet")
    assert sheet.status_code == 200 and "@media print" in sheet.text
    assert references["confirmed"] in sheet.text and "Signature" in sheet.text
    assert not FULL_NUMBER.search(sheet.text)


def test_attendance_for_someone_without_a_place_is_refused(client, runtime, organizer, make_phone):
    assert announce(client, runtime).status_code == 303
    assembly = the_assembly(runtime)
    sign_up(make_phone("+22370000001"))
    sign_up(make_phone("+22370000002"))
    with runtime.database() as db:
        waiting = db.scalar(select(Signup).where(Signup.status == "waiting"))
    page = client.get(f"/admin/assemblies/{assembly.id}")
    refused = client.post(
        f"/admin/assemblies/{assembly.id}/attendance",
        data={"csrf": csrf_of(page.text), "attended": [str(waiting.id), "²", "abc"]},
        follow_redirects=True,
    )
    assert refused.status_code == 200 and "Only people with a place" in refused.text
    with runtime.database() as db:
        assert db.get(Signup, waiting.id).status == "waiting"


def edit(client, assembly_id: int, **fields):
    page = client.get(f"/admin/assemblies/{assembly_id}")
    form = dict(re.findall(r'<input id="([a-z_]+)" name="\1"[^>]*value="([^"]*)"', page.text))
    form.update(re.findall(r'<textarea id="([a-z_]+)" name="\1"[^>]*>([^<]*)</textarea>', page.text))
    form = {name: html.unescape(value) for name, value in form.items()}
    form.update({"csrf": csrf_of(page.text), "status": "planned", **fields})
    return client.post(f"/admin/assemblies/{assembly_id}", data=form, follow_redirects=True)


def test_moving_or_cancelling_tells_everyone_signed_up_or_waiting(client, runtime, organizer, make_phone):
    assert announce(client, runtime).status_code == 303
    assembly = the_assembly(runtime)
    sign_up(make_phone("+22370000001"))
    sign_up(make_phone("+22370000002"))
    before = len(messages_to_people(runtime))

    page = client.get(f"/admin/assemblies/{assembly.id}").text
    assert "sends a text to everyone signed up or on the waiting list" in page
    unchanged = edit(client, assembly.id)
    assert "Nothing changed." in unchanged.text

    moved = edit(client, assembly.id, time="15:30")
    assert "2 people signed up or waiting are told of the change" in moved.text
    assert the_assembly(runtime).starts_at.hour == 15
    assert len(messages_to_people(runtime)) == before + 2

    cancelled = edit(client, assembly.id, status="cancelled")
    assert "2 people signed up or waiting are told" in cancelled.text
    assert the_assembly(runtime).status == "cancelled"
    listing = client.get("/admin/assemblies").text
    past = listing.split('id="h-past"')[1]
    assert "Assemblée de Mopti" in past


def test_an_unknown_assembly_is_a_404_whatever_the_id(client, runtime, organizer):
    for raw in ("424242", "²", "abc", "99999999999999999999"):
        assert client.get(f"/admin/assemblies/{raw}").status_code == 404
        assert client.get(f"/admin/assemblies/{raw}/attendance.csv").status_code == 404
