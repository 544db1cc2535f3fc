"""What organizers do (bot.assemblies.organize), as people and staff notice it: what is refused, who is told of
a move or a cancellation (once per change), places passed on when there are more, attendance, the roster."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.assemblies import organize, texts
from bot.cases.lifecycle import Refused
from bot.db import transaction
from bot.models import Assembly, Signup, Site
from tests.assemblies.support import as_in, in_days, signups, texts_to
from tests.flows.screens import written

AWA, BAKARY, FANTA = "+22370000021", "+22370000022", "+22370000023"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"site_id": 9999}, "Unknown or inactive site."),
        ({"titles": {"bm": "Lajɛ"}}, "A title in fr is required."),
        ({"titles": {"fr": "AG", "en": "GA"}}, "“en” is not a language of this line."),
        ({"titles": {"fr": "x" * 41}}, "A title is 40 characters at most (it is sent by SMS); the fr one has 41."),
        ({"place": " "}, "Say where the assembly is held."),
        ({"place": "y" * 41}, "The place is 40 characters at most (it is sent by SMS); it has 41."),
        ({"starts_at": datetime(2030, 1, 1, 10)}, "Give the date and time with its time zone."),
        ({"starts_at": datetime(2020, 1, 1, 10, tzinfo=UTC)}, "The assembly must start in the future."),
        ({"capacity": 0}, "The capacity is a number of places from 1 to 100000, or empty for no limit."),
        ({"capacity": "12"}, "The capacity is a number of places from 1 to 100000, or empty for no limit."),
        ({"titles": "AG"}, "Texts are given per language."),
    ],
)
def test_what_cannot_be_an_assembly_is_refused_and_nothing_is_stored(runtime, desk, fields, message):
    with transaction(runtime.database) as db:
        niamana = db.scalar(select(Site.id).where(Site.slug == "niamana"))
        values = {
            "site_id": niamana,
            "titles": {"fr": "AG"},
            "descriptions": {},
            "starts_at": in_days(3),
            "place": "Ici",
            "capacity": None,
            **fields,
        }
        before = db.scalar(select(Assembly.id).order_by(Assembly.id.desc()))
        with pytest.raises(Refused) as refused:
            organize.create_assembly(db, desk, None, **values)
        assert refused.value.text() == message
        db.rollback()
    with runtime.database() as db:
        assert db.scalar(select(Assembly.id).order_by(Assembly.id.desc())) == before


def test_a_created_assembly_is_planned_with_its_default_language_title(runtime, organizing, organizer):
    assembly_id, sends = organizing.create(site="mopti", titles={"fr": "  AG   de Mopti ", "bm": ""}, capacity=None)
    with runtime.database() as db:
        assembly = db.get(Assembly, assembly_id)
        assert (assembly.status, assembly.title, assembly.titles) == ("planned", "AG de Mopti", {"fr": "AG de Mopti"})
        assert (assembly.created_by_id, assembly.revision, assembly.capacity) == (organizer, 0, None)
        assert organize.title_in(assembly, "bm", "fr") == "AG de Mopti"  # no Bambara title: the default one
    assert sends == []  # nobody asked to hear of one at Mopti


def test_moving_an_assembly_tells_everyone_signed_up_or_waiting_once_per_move(runtime, person, organizing):
    assembly_id, _ = organizing.create(site="gao", capacity=1)
    awa, bakary, fanta = person(AWA, "fr"), person(BAKARY, "bm"), person(FANTA, "fr")
    for phone in (awa, bakary, fanta):
        phone.converse("3", "5", "1", "1")
    fanta.send("ANNULER")  # cancelled: not told

    later = in_days(4, hour=15)
    sends = organizing.update(assembly_id, starts_at=later, place="École B")

    (to_awa,) = texts_to(runtime, AWA)
    (to_bakary,) = texts_to(runtime, BAKARY)
    assert to_awa.text == runtime.catalogues.fill(
        "fr", texts.MOVED, {"title": "Assemblée des femmes", "when": later, "place": "École B"}
    )
    assert written(later, "fr") in to_awa.text
    assert to_bakary.text.startswith(as_in(to_bakary.text, runtime.catalogues.text("bm", texts.MOVED).split(":")[0]))
    assert len(sends) == 2 and texts_to(runtime, FANTA) == []
    assert organizing.update(assembly_id, starts_at=later, place="École B") == []  # nothing moved: nobody told
    organizing.update(assembly_id, titles={"fr": "AG des femmes"})  # a new title is not a move
    assert len(texts_to(runtime, AWA)) == 1

    organizing.update(assembly_id, place="Mosquée")  # a second move: told again
    assert [m.text.endswith("Pour annuler, envoyez ANNULER.") for m in texts_to(runtime, AWA)] == [True, True]

    organizing.update(assembly_id, status="cancelled")
    cancelled = texts_to(runtime, AWA)[-1]
    assert cancelled.text == runtime.catalogues.fill("fr", texts.CANCELLED, {"title": "AG des femmes", "when": later})
    assert len(texts_to(runtime, BAKARY)) == 3
    with pytest.raises(Refused, match="cancelled: it can no longer be changed"):
        organizing.update(assembly_id, place="Ailleurs")
    with pytest.raises(Refused, match="cannot go from"):
        organizing.update(assembly_id, status="planned")


def test_more_places_go_to_the_first_people_waiting_each_told(runtime, person, organizing):
    assembly_id, _ = organizing.create(site="gao", capacity=1)
    for number in (AWA, BAKARY, FANTA):
        person(number).converse("3", "5", "1", "1")

    organizing.update(assembly_id, capacity=2)

    assert [status for status, _ in signups(runtime, assembly_id).values()] == ["confirmed", "confirmed", "waiting"]
    (told,) = texts_to(runtime, BAKARY)
    assert told.text.startswith("Une place s'est libérée : vous avez une place à Assemblée des femmes, ")
    assert texts_to(runtime, AWA) == [] and texts_to(runtime, FANTA) == []


def test_a_held_assembly_tells_nobody_and_its_date_stays(runtime, person, organizing):
    assembly_id, _ = organizing.create(site="gao")
    person(AWA).converse("3", "5", "1", "1")

    assert organizing.update(assembly_id, status="held") == []
    with pytest.raises(Refused, match="date and place cannot be changed"):
        organizing.update(assembly_id, starts_at=in_days(9))
    assert texts_to(runtime, AWA) == []


def test_attendance_the_roster_and_the_counts(runtime, person, organizing, organizer):
    assembly_id, _ = organizing.create(site="gao", capacity=2)
    for number in (AWA, BAKARY, FANTA):
        person(number).converse("3", "5", "1", "1")
    person(AWA).send("ANNULER")  # Fanta gets Awa's place

    with transaction(runtime.database) as db:
        assembly = db.get(Assembly, assembly_id)
        roster = organize.roster(db, assembly)
        assert [s.status for s in roster] == ["confirmed", "confirmed", "cancelled"]
        with pytest.raises(Refused):
            organize.record_attendance(db, None, assembly, {roster[2].id})  # cancelled: not present
        organize.record_attendance(db, None, assembly, {roster[0].id})
        came = roster[0].id
    with transaction(runtime.database) as db:
        assembly = db.get(Assembly, assembly_id)
        first = organize.roster(db, assembly)[0]
        assert (first.id, first.status, first.feedback.category) == (came, "attended", "attended")
        organize.record_attendance(db, None, assembly, set())  # a tick taken back
        assert db.get(Signup, came).status == "confirmed"
        counts = organize.counts(db, [assembly_id, 9999])
    assert counts == {
        assembly_id: {"confirmed": 2, "waiting": 0, "cancelled": 1, "attended": 0},
        9999: {"confirmed": 0, "waiting": 0, "cancelled": 0, "attended": 0},
    }


def test_a_bad_change_is_refused(organizing):
    assembly_id, _ = organizing.create(site="gao")
    with pytest.raises(Refused, match="Unknown status"):
        organizing.update(assembly_id, status="done")
    with pytest.raises(Refused, match="must start in the future"):
        organizing.update(assembly_id, starts_at=datetime.now(UTC) - timedelta(hours=1))
    with pytest.raises(Refused, match="A title in fr is required"):
        organizing.update(assembly_id, titles={"bm": "Lajɛ"})
