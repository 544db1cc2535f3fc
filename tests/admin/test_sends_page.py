"""The page of sends waiting for a decision (/admin/sends): who sees which, and "send again".

The inbox's access rules: a message shows only to whoever may see the case it is about; a focal
point's alert about a confidential report only to protection staff and admins; a message about no
case only to admins. Staff act through the real form (CSRF token included); the message goes back
to `pending` and to RQ, and the case's trail records who did it.
"""

import html
import re

import pytest
from rq import Queue
from sqlalchemy import select

from bot.db import transaction
from bot.handover import LANE_QUEUES
from bot.models import CaseEvent, Contact, Message, ProtectionAlert, utcnow
from bot.outbound.sending import LEASE_EXPIRED
from bot.vocabulary import Direction, Lane, MessageStatus
from tests import domain_support as rows
from tests.admin_support import csrf_of, log_in, make_staff

REPLIES = LANE_QUEUES[Lane.REPLY]


@pytest.fixture
def stuck(runtime) -> dict[str, int]:
    """Four messages waiting for a decision, each about something else; {what: message id}."""
    with transaction(runtime.database) as db:
        vault = runtime.vault
        awa = rows.person(db, vault, "+22370000031", site_slug="niamana")
        ali = rows.person(db, vault, "+22370000032", site_slug="sogoniko")
        focal_point = rows.person(db, vault, "+22376000031")
        at_niamana = rows.case(db, awa, "Pas d'eau au forage", site_slug="niamana")
        at_sogoniko = rows.case(db, ali, "Pas de bâche", site_slug="sogoniko")
        report = rows.case(db, awa, "Il me menace", kind="confidential", vault=vault, site_slug="niamana")

        def out(contact, text, status, **fields) -> int:
            return rows.message(db, contact, text, direction=Direction.OUT, status=status, lane=Lane.REPLY,
                                attempts=1, status_at=utcnow(), **fields).id

        alert_done = utcnow()
        ids = {
            "reply at Niamana": out(awa, "Une équipe passe demain.", MessageStatus.UNKNOWN, error_code=LEASE_EXPIRED),
            "reply at Sogoniko": out(ali, "Les bâches arrivent lundi.", MessageStatus.FAILED, error_code="30008",
                                     error_message="Unknown error"),
            "alert": out(focal_point, f"Signalement confidentiel {report.reference}.", MessageStatus.UNKNOWN),
            "about no case": out(awa, "Assemblée jeudi à Niamana.", MessageStatus.UNDELIVERED, provider_id="SM1"),
        }
        # Where baro records what a message is about: the trail of a staff reply, the alert's row.
        db.add(CaseEvent(feedback_id=at_niamana.id, action="replied", detail={"message_id": ids["reply at Niamana"]}))
        db.add(CaseEvent(feedback_id=at_sogoniko.id, action="replied", detail={"message_id": ids["reply at Sogoniko"]}))
        db.add(ProtectionAlert(feedback_id=report.id, done_at=alert_done, message_ids=[ids["alert"]]))
    ids["references"] = {"niamana": at_niamana.reference, "report": report.reference}
    return ids


def signed_in(client, runtime, email: str, role: str, sites: tuple[str, ...] = ()) -> None:
    make_staff(runtime, email, role, sites)
    assert log_in(client, email).status_code == 303


def shown(client) -> set[int]:
    page = client.get("/admin/sends")
    assert page.status_code == 200
    return {int(found) for found in re.findall(r'data-message="(\d+)"', page.text)}


def send_again(client, message_id: int, csrf: bool = True):
    data = {"csrf": csrf_of(client.get("/admin/inbox").text)} if csrf else {}
    return client.post(f"/admin/sends/{message_id}/again", data=data, follow_redirects=False)


def status_of(runtime, message_id: int) -> str:
    with runtime.database() as db:
        return db.get(Message, message_id).status


VISIBLE = {
    "admin": {"reply at Niamana", "reply at Sogoniko", "alert", "about no case"},
    "protection": {"reply at Niamana", "reply at Sogoniko", "alert"},
    "triage": {"reply at Niamana", "reply at Sogoniko"},
    "triage at Niamana": {"reply at Niamana"},
}


@pytest.mark.parametrize("account", VISIBLE)
def test_each_account_sees_the_sends_about_the_cases_it_may_see(client, runtime, stuck, account):
    role, _, site = account.partition(" at ")
    signed_in(client, runtime, "staff@ong.ml", role, (site.lower(),) if site else ())
    assert shown(client) == {stuck[what] for what in VISIBLE[account]}
    if "alert" not in VISIBLE[account]:  # not even the confidential report's reference
        assert stuck["references"]["report"] not in client.get("/admin/sends").text


def test_an_account_outside_the_desk_has_no_sends_page(client, runtime, stuck):
    signed_in(client, runtime, "orga@ong.ml", "organizer")
    assert client.get("/admin/sends").status_code == 403
    assert send_again(client, stuck["reply at Niamana"]).status_code == 403
    assert status_of(runtime, stuck["reply at Niamana"]) == "unknown"


@pytest.mark.parametrize("hidden", ["reply at Sogoniko", "alert", "about no case"])
def test_a_send_hidden_from_an_account_cannot_be_sent_again_by_it(client, runtime, stuck, hidden):
    signed_in(client, runtime, "awa@ong.ml", "triage", ("niamana",))
    was = status_of(runtime, stuck[hidden])
    answer = send_again(client, stuck[hidden])
    assert answer.status_code == 404  # as if it did not exist
    assert status_of(runtime, stuck[hidden]) == was and Queue(REPLIES, connection=runtime.redis).job_ids == []


def test_sending_again_needs_the_forms_csrf_token(client, runtime, stuck):
    signed_in(client, runtime, "admin@ong.ml", "admin")
    assert send_again(client, stuck["reply at Niamana"], csrf=False).status_code == 403
    assert status_of(runtime, stuck["reply at Niamana"]) == "unknown"


def test_a_triage_officer_sends_again_a_reply_of_their_site_and_the_trail_says_so(client, runtime, stuck):
    signed_in(client, runtime, "awa@ong.ml", "triage", ("niamana",))
    client.cookies.set("lang", "fr")
    message_id = stuck["reply at Niamana"]

    answer = send_again(client, message_id)

    assert (answer.status_code, answer.headers["location"]) == (303, "/admin/sends")
    with runtime.database() as db:
        message = db.get(Message, message_id)
        assert (message.status, message.attempts, message.error_code) == ("pending", 0, None)
        (event,) = db.scalars(select(CaseEvent).where(CaseEvent.action == "sent_again")).all()
        assert (event.actor.email, event.detail["message_id"], event.detail["was"]) == (
            "awa@ong.ml", message_id, "unknown"
        )
    assert Queue(REPLIES, connection=runtime.redis).job_ids == [f"send-{message_id}"]
    page = html.unescape(client.get("/admin/sends").text)
    assert "Renvoyé : il part dans un instant" in page and message_id not in shown(client)
    trail = html.unescape(client.get(f"/admin/cases/{stuck['references']['niamana']}").text)
    assert "Message renvoyé, il était : peut-être envoyé" in trail


def test_protection_sends_again_a_focal_points_alert_and_its_trail_stays_sealed(client, runtime, stuck):
    signed_in(client, runtime, "focal@ong.ml", "protection")
    assert send_again(client, stuck["alert"]).status_code == 303
    assert status_of(runtime, stuck["alert"]) == "pending"
    with runtime.database() as db:
        (event,) = db.scalars(select(CaseEvent).where(CaseEvent.action == "sent_again")).all()
        # A confidential report's trail keeps its details only encrypted.
        assert event.detail is None and event.detail_encrypted


def test_nothing_is_sent_again_to_someone_who_opted_out(client, runtime, stuck):
    with transaction(runtime.database) as db:
        contact_id = db.get(Message, stuck["reply at Niamana"]).contact_id
        db.get(Contact, contact_id).opted_out_at = utcnow()
    signed_in(client, runtime, "admin@ong.ml", "admin")
    client.cookies.set("lang", "fr")
    assert send_again(client, stuck["reply at Niamana"]).status_code == 303
    assert "plus rien ne lui est envoyé" in html.unescape(client.get("/admin/sends").text)
    assert status_of(runtime, stuck["reply at Niamana"]) == "unknown"


def test_the_page_is_linked_from_the_navigation_and_reads_in_french(client, runtime, stuck):
    signed_in(client, runtime, "admin@ong.ml", "admin")
    client.cookies.set("lang", "fr")
    assert '<a href="/admin/sends">Envois</a>' in client.get("/admin/inbox").text
    page = html.unescape(client.get("/admin/sends").text)
    for french in ("Envois à vérifier", "Peut-être envoyés", "Non envoyés ou non remis", "Envoyer à nouveau",
                   "peut-être envoyé : vérifier auprès du prestataire", "Destinataire",
                   "Le processus qui l'envoyait s'est arrêté avant la réponse du prestataire"):
        assert french in page
