"""Reminders before an assembly (bot.assemblies.reminders), run as the periodic job runs them, at chosen moments."""

from datetime import timedelta

import pytest
from sqlalchemy import update

from bot.assemblies import texts
from bot.assemblies.reminders import send_due_reminders
from bot.models import Assembly, Signup
from tests.assemblies.support import expected, in_days, signups, texts_to

AWA, BAKARY, FANTA, MOUSSA = "+22370000031", "+22370000032", "+22370000033", "+22370000034"


@pytest.fixture
def hours(reconfigure):
    reconfigure(ASSEMBLY_REMINDER_HOURS="24,2,0.5")


def starts_at(runtime, assembly_id):
    with runtime.database() as db:
        return db.get(Assembly, assembly_id).starts_at


def test_each_reminder_goes_once_to_each_person_with_a_place_in_their_language(hours, runtime, person, organizing):
    assembly_id, _ = organizing.create(site="gao", capacity=2, starts_at=in_days(3))
    awa, bakary = person(AWA, "fr"), person(BAKARY, "bm")
    fanta, moussa = person(FANTA, "fr"), person(MOUSSA, "fr")
    for phone in (awa, bakary, fanta, moussa):
        phone.converse("3", "5", "1", "1")  # Awa and Bakary have the places, Fanta and Moussa wait
    moussa.send("ANNULER")
    start = starts_at(runtime, assembly_id)

    assert send_due_reminders(runtime, now=start - timedelta(hours=25)) == 0
    assert send_due_reminders(runtime, now=start - timedelta(hours=24)) == 2
    assert send_due_reminders(runtime, now=start - timedelta(hours=23)) == 0  # never twice

    (to_awa,) = texts_to(runtime, AWA)
    (to_bakary,) = texts_to(runtime, BAKARY)
    place = "Centre de santé"
    assert to_awa.text == expected(runtime, "fr", texts.REMINDER, title="Assemblée des femmes", when=start, place=place)
    assert to_bakary.text == expected(runtime, "bm", texts.REMINDER, title="Musow ka lajɛ", when=start, place=place)
    assert to_awa.lane == "bulk"
    assert texts_to(runtime, FANTA) == [] and texts_to(runtime, MOUSSA) == []  # waiting, cancelled

    # Bakary gives up after the first reminder; the next goes to Awa and to Fanta, who got his place.
    bakary.send("DABILA")
    assert send_due_reminders(runtime, now=start - timedelta(minutes=30)) == 2  # 2 h and 0.5 h due: the latest
    assert [len(texts_to(runtime, n)) for n in (AWA, BAKARY, FANTA)] == [2, 1, 2]  # Fanta: place given, reminder
    assert send_due_reminders(runtime, now=start - timedelta(minutes=10)) == 0
    assert send_due_reminders(runtime, now=start + timedelta(minutes=1)) == 0  # started: no more


def test_no_reminder_for_a_sign_up_made_after_its_moment_nor_for_who_opted_out(hours, runtime, person, organizing):
    assembly_id, _ = organizing.create(site="gao", starts_at=in_days(3))
    awa, bakary = person(AWA), person(BAKARY)
    awa.converse("3", "5", "1", "1")
    bakary.converse("3", "5", "1", "1")
    bakary.send("STOP")
    start = starts_at(runtime, assembly_id)
    with runtime.database() as db, db.begin():  # Awa signed up 10 hours before: after the 24-hour reminder
        db.execute(update(Signup).values(created_at=start - timedelta(hours=10)))

    assert send_due_reminders(runtime, now=start - timedelta(hours=9)) == 0
    assert send_due_reminders(runtime, now=start - timedelta(hours=2)) == 1
    assert len(texts_to(runtime, AWA)) == 1 and texts_to(runtime, BAKARY) == []
    assert [status for status, _ in signups(runtime, assembly_id).values()] == ["confirmed", "confirmed"]


def test_a_cancelled_assembly_reminds_nobody(hours, runtime, person, organizing):
    assembly_id, _ = organizing.create(site="gao", starts_at=in_days(3))
    person(AWA).converse("3", "5", "1", "1")
    organizing.update(assembly_id, status="cancelled")
    start = starts_at(runtime, assembly_id)
    assert send_due_reminders(runtime, now=start - timedelta(hours=1)) == 0
