"""/admin/broadcasts as an organizer uses it: compose, preview (reach, SMS cost, who is left out), send only
what was previewed, then follow, pause, resume or cancel it."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.models import Broadcast, Message, utcnow
from tests.admin.test_inbox_page import sign_in
from tests.admin_support import csrf_of

TEXT_FR = "Distribution d'eau demain à 9h au forage."


@pytest.fixture
def people(make_phone):
    """Two French speakers who consented by SMS, and one who refused consent."""
    make_phone("+22370000001").converse("Bonjour", "1", "1")
    make_phone("+22370000002").converse("Bonjour", "1", "1")
    make_phone("+22370000003").converse("Bonjour", "1", "2")


@pytest.fixture
def organizer(client, runtime):
    return sign_in(client, runtime, "moussa@ong.ml", "organizer")


def compose(client, **fields) -> dict:
    page = client.get("/admin/broadcasts")
    assert page.status_code == 200, page.text
    return {"csrf": csrf_of(page.text), "text_fr": TEXT_FR, "text_bm": "", "when": "now", **fields}


def previewed(client, form: dict):
    response = client.post("/admin/broadcasts/preview", data=form)
    assert response.status_code == 200, response.text
    fingerprint = re.search(r'name="previewed" value="([0-9a-f]+)"', response.text).group(1)
    return response, {**form, "previewed": fingerprint}


def broadcasts(runtime) -> list[Broadcast]:
    with runtime.database() as db:
        return list(db.scalars(select(Broadcast)))


def test_the_preview_shows_reach_cost_and_who_is_left_out_and_sends_nothing(client, runtime, organizer, people):
    response, _form = previewed(client, compose(client, text_bm="Ji tila sini sɔgɔma lɛrɛ 9."))
    text = response.text
    assert "Reaches 2 people." in text
    assert re.search(r"<th scope=\"row\">SMS</th><td>2</td>", text)
    assert re.search(r"<th scope=\"row\">No consent, or refused it</th><td>1</td>", text)
    # Per language: recipients, by SMS, encoding, parts per SMS, parts in all. "ɛ" and "ɔ" are not GSM-7.
    flat = re.sub(r"<td [^>]*>", "<td>", re.sub(r">\s+<", "><", text)).replace("<strong>", "").replace("</strong>", "")
    assert "<tr><td>Français</td><td>2</td><td>2</td><td>GSM-7</td><td>1</td><td>2</td></tr>" in flat
    assert "<tr><td>Bamanankan</td><td>0</td><td>0</td><td>UCS-2</td><td>1</td><td>0</td></tr>" in flat
    assert "Total SMS parts (the cost): 2" in text
    assert 'formaction="/admin/broadcasts"' in text  # "Send" appears after the preview only
    assert TEXT_FR.replace("'", "&#39;") in text  # the text stays in the form
    assert broadcasts(runtime) == []
    with runtime.database() as db:
        assert db.scalar(select(func.count()).select_from(Message).where(Message.lane == "bulk")) == 0


def test_send_appears_only_after_a_preview(client, organizer):
    assert 'formaction="/admin/broadcasts"' not in client.get("/admin/broadcasts").text


def test_sending_what_was_previewed_plans_it_and_shows_its_progress(client, runtime, organizer, people):
    _response, form = previewed(client, compose(client))
    sent = client.post("/admin/broadcasts", data=form, follow_redirects=False)
    assert sent.status_code == 303
    (broadcast,) = broadcasts(runtime)
    assert sent.headers["location"] == f"/admin/broadcasts/{broadcast.id}"
    assert broadcast.recipients == 2 and broadcast.texts == {"fr": TEXT_FR}
    assert broadcast.left_out["no_consent"] == 1

    page = client.get(sent.headers["location"])
    assert page.status_code == 200
    assert "Broadcast on its way to 2 people." in page.text
    assert re.search(r'data-count="queued">2<', page.text)
    assert '<meta http-equiv="refresh"' in page.text  # it follows itself while sending, without a script
    assert ">Pause</button>" in page.text and ">Cancel the broadcast</button>" in page.text
    listing = client.get("/admin/broadcasts").text
    assert f'href="/admin/broadcasts/{broadcast.id}"' in listing and "Distribution d&#39;eau" in listing

    cancelled = client.post(f"/admin/broadcasts/{broadcast.id}/cancel", data={"csrf": form["csrf"]},
                            follow_redirects=True)
    assert "what was not sent yet will not be sent" in cancelled.text
    assert broadcasts(runtime)[0].status == "cancelled"
    assert '<meta http-equiv="refresh"' not in cancelled.text and ">Pause</button>" not in cancelled.text
    again = client.post(f"/admin/broadcasts/{broadcast.id}/pause", data={"csrf": form["csrf"]}, follow_redirects=True)
    assert "cannot be paused" in again.text


def test_a_text_changed_since_its_preview_is_previewed_again_not_sent(client, runtime, organizer, people):
    _response, form = previewed(client, compose(client))
    changed = client.post("/admin/broadcasts", data={**form, "text_fr": "Autre chose"})
    assert changed.status_code == 409
    assert "changed since its preview" in changed.text and "Reaches 2 people." in changed.text
    assert broadcasts(runtime) == []


def test_a_scheduled_broadcast_can_be_paused_and_resumed(client, runtime, organizer, people):
    day = (utcnow() + timedelta(days=2)).date().isoformat()
    _response, form = previewed(client, compose(client, when="later", send_date=day, send_time="09:00"))
    page = client.post("/admin/broadcasts", data=form, follow_redirects=True)
    assert "Broadcast scheduled for 2 people." in page.text
    (broadcast,) = broadcasts(runtime)
    assert broadcast.status == "scheduled" and broadcast.send_at.hour == 9
    paused = client.post(f"/admin/broadcasts/{broadcast.id}/pause", data={"csrf": form["csrf"]}, follow_redirects=True)
    assert "nothing more is sent until you resume" in paused.text and ">Resume</button>" in paused.text
    resumed = client.post(f"/admin/broadcasts/{broadcast.id}/resume", data={"csrf": form["csrf"]},
                          follow_redirects=True)
    assert "Resumed." in resumed.text
    assert broadcasts(runtime)[0].status == "scheduled"


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"text_fr": ""}, "Write the text in “fr”"),
        ({"text_fr": "x" * 613}, "is too long"),
        ({"assembly": "²"}, "Choose an assembly from the list."),
        ({"assembly": "424242"}, "Unknown assembly number 424242."),
        ({"sites": "atlantis"}, "Unknown site “atlantis”."),
        ({"channels": "fax"}, "Unknown channel “fax”."),
        ({"when": "later", "send_date": "2020-01-01", "send_time": "09:00"}, "in the past"),
        ({"when": "later", "send_date": "", "send_time": ""}, "Give the date (YYYY-MM-DD)"),
    ],
)
def test_a_refused_broadcast_says_why_and_sends_nothing(client, runtime, organizer, people, fields, says):
    form = compose(client, **fields)
    response = client.post("/admin/broadcasts/preview", data=form)
    if response.status_code == 200:  # a time in the past is the plan's to refuse, when sending
        fingerprint = re.search(r'name="previewed" value="([0-9a-f]+)"', response.text).group(1)
        response = client.post("/admin/broadcasts", data={**form, "previewed": fingerprint})
    assert response.status_code == 400 and says in response.text
    assert broadcasts(runtime) == []


def test_an_unknown_broadcast_is_a_404(client, organizer):
    for raw in ("424242", "²", "abc"):
        assert client.get(f"/admin/broadcasts/{raw}").status_code == 404
