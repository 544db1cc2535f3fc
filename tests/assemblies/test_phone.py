"""Assemblies as people live them on their phone, through the real webhook: told of the next one, signing
up (the answer quotes the title, day, time and place), the waiting list, giving a place up with the cancel
keyword, and the first person waiting told they now have it.

Every expected text is read from the real catalogues, in French and in Bambara.
"""

import pytest
from sqlalchemy import update

from bot.actions.status_texts import SIGNUP_STATUS
from bot.assemblies import texts
from bot.engine.texts import CANCEL_KEYWORDS, WAY_BACK
from bot.models import Assembly, Signup, utcnow
from bot.vocabulary import Lane
from tests.assemblies.support import as_in, expected, in_days, last_reply, reference_of, signups, texts_to
from tests.conftest import run_worker
from tests.test_whatsapp import WhatsApp

AWA, BAKARY, FANTA = "+22370000011", "+22370000012", "+22370000013"
GAO = "5"  # in the site menu
TITLES = {"fr": "Assemblée des femmes", "bm": "Musow ka lajɛ"}
BOTH = pytest.mark.parametrize("lang", ["fr", "bm"])


@pytest.fixture
def no_quiet_hours(reconfigure):
    """Notices to people go on the bulk lane, which waits outside quiet hours: these tests run at any hour."""
    reconfigure(BROADCAST_QUIET_HOURS="")


def when(runtime, assembly_id: int):
    with runtime.database() as db:
        return db.get(Assembly, assembly_id).starts_at


def prompt(runtime, lang: str, flow: str, state: str, **params) -> str:
    return runtime.catalogues.fill(lang, runtime.conversations.flows.state(flow, state).prompt, params)


def sign_up(phone, *answers: str) -> str:
    """3 in the main menu, the first assembly of the person's site, yes."""
    return phone.converse("3", *answers, "1", "1")


@BOTH
def test_someone_who_asked_is_told_of_the_next_assembly_in_their_language_once(runtime, person, organizing, lang):
    awa = person(AWA, lang)
    awa.converse("3", GAO)  # no assembly at Gao yet
    assert awa.send("1") == last_reply(runtime, lang, runtime.conversations.flows.state("assembly", "noted").prompt)

    assembly_id, sends = organizing.create(site="gao", place="Place du marché")

    (told,) = texts_to(runtime, AWA)
    assert told.text == expected(
        runtime, lang, texts.ANNOUNCED, title=TITLES[lang], when=when(runtime, assembly_id), place="Place du marché"
    )
    assert (told.channel, told.lane) == ("sms", Lane.BULK)
    assert sends == [(told.id, Lane.BULK)]
    organizing.create(site="gao", titles={"fr": "Deuxième assemblée"})  # they asked for the next one only
    assert len(texts_to(runtime, AWA)) == 1

    # "send 3": the assembly is listed in their language, and signing up quotes it whole.
    listing = awa.send("3")
    assert listing.splitlines()[1].startswith(as_in(listing, f"1 {TITLES[lang]}, "))
    signed = awa.converse("1", "1")
    reference = reference_of(runtime, AWA, assembly_id)
    assert signed == last_reply(
        runtime,
        lang,
        texts.SIGNED_UP,
        title=TITLES[lang],
        when=when(runtime, assembly_id),
        place="Place du marché",
        reference=reference,
    )
    assert "Place du marché" in signed and ", 10:00, " in signed and reference in signed


def test_an_announcement_goes_where_the_person_last_wrote_from_and_not_to_who_opted_out(
    runtime, person, make_phone, organizing
):
    whatsapp = WhatsApp(make_phone, BAKARY)
    whatsapp.converse("Bonjour", "2", "1", "3", GAO, "1")
    stopped = person(FANTA)
    stopped.converse("3", GAO, "1", "STOP")

    organizing.create(site="gao")

    (told,) = texts_to(runtime, BAKARY)
    assert told.channel == "whatsapp" and told.text.startswith(expected(runtime, "bm", texts.ANNOUNCED)[:10])
    assert texts_to(runtime, FANTA) == []


def test_a_full_assembly_puts_the_next_person_on_its_waiting_list_and_says_so(runtime, person, organizing):
    assembly_id, _ = organizing.create(site="gao", capacity=1)
    awa, bakary = person(AWA, "fr"), person(BAKARY, "bm")
    sign_up(awa, GAO)

    listing = bakary.converse("3", GAO)
    assert "ɛ" not in listing  # over one UCS-2 SMS: in the older spelling, one GSM-7 SMS (SMS_ALPHABET=auto)
    assert listing.endswith(
        as_in(
            listing,
            prompt(runtime, "bm", "assembly", "pick")
            + "\n1 "
            + TITLES["bm"]
            + ", "
            + runtime.catalogues.format(when(runtime, assembly_id), "bm")
            + ", Centre de santé",
        )
    )
    assert bakary.send("1") == prompt(runtime, "bm", "assembly", "full") + "\n1 Ɔwɔ\n2 Ayi"
    waiting = bakary.send("1")

    reference = reference_of(runtime, BAKARY, assembly_id)
    assert waiting == last_reply(
        runtime, "bm", texts.WAITING, title=TITLES["bm"], when=when(runtime, assembly_id), reference=reference
    )
    assert signups(runtime, assembly_id) == {
        reference_of(runtime, AWA, assembly_id): ("confirmed", "confirmed"),
        reference: ("waiting", "waiting"),
    }


def test_cancel_frees_the_place_and_the_first_person_waiting_is_told_they_have_it(
    no_quiet_hours, twilio, client, runtime, person, organizing
):
    assembly_id, _ = organizing.create(site="gao", capacity=1)
    awa, bakary, fanta = person(AWA, "fr"), person(BAKARY, "bm"), person(FANTA, "fr")
    sign_up(awa, GAO)
    sign_up(bakary, GAO)  # full: waiting, first
    sign_up(fanta, GAO)  # waiting, second
    starts_at = when(runtime, assembly_id)
    awa_reference = reference_of(runtime, AWA, assembly_id)

    answer = awa.send("ANNULER")

    assert answer == last_reply(
        runtime, "fr", texts.SIGNUP_CANCELLED, title=TITLES["fr"], when=starts_at, reference=awa_reference
    )
    assert list(signups(runtime, assembly_id).values()) == [
        ("cancelled", "cancelled"),
        ("confirmed", "confirmed"),
        ("waiting", "waiting"),
    ]
    run_worker(runtime.redis)
    (sent,) = twilio.sent
    assert sent.form["To"] == BAKARY
    assert sent.form["Body"] == expected(
        runtime, "bm", texts.PLACE_GIVEN, title=TITLES["bm"], when=starts_at, place="Centre de santé"
    )
    assert texts_to(runtime, FANTA) == []

    # Her follow-up now says so; the cancel keyword a second time has nothing left to give up.
    status = runtime.conversations.flows.state("followup", "status").prompt
    assert awa.converse("5", "1") == last_reply(
        runtime, "fr", status, reference=awa_reference, status=SIGNUP_STATUS["cancelled"]
    )
    assert awa.send("ANNULER") == last_reply(runtime, "fr", texts.NOTHING_TO_CANCEL)

    # The place given is one she can give up too, in Bambara, with the Bambara keyword.
    bakary_word = runtime.catalogues.text("bm", CANCEL_KEYWORDS).split(",")[0]
    assert bakary_word != "ANNULER"
    assert bakary.send(bakary_word.lower()).startswith(runtime.catalogues.text("bm", texts.SIGNUP_CANCELLED)[:5])
    assert [status for status, _ in signups(runtime, assembly_id).values()] == ["cancelled", "cancelled", "confirmed"]


@BOTH
def test_the_cancel_keyword_long_after_the_last_text_gives_nothing_up(runtime, person, organizing, lang):
    assembly_id, _ = organizing.create(site="gao")
    awa = person(AWA, lang)
    sign_up(awa, GAO)
    with runtime.database() as db, db.begin():  # signed up two days ago, and not told anything since
        db.execute(update(Signup).values(told_at=utcnow().replace(year=utcnow().year - 1)))

    assert awa.send("CANCEL") == last_reply(runtime, lang, texts.NOTHING_TO_CANCEL)
    assert [status for status, _ in signups(runtime, assembly_id).values()] == ["confirmed"]
    listing = awa.send("3")
    assert listing.startswith(as_in(listing, prompt(runtime, lang, "assembly", "pick")))  # parked: "send 3" works


def test_someone_without_a_sign_up_who_sends_cancel_is_helped(runtime, person):
    awa = person(AWA, "fr")
    assert awa.send("Annuler") == last_reply(runtime, "fr", texts.NOTHING_TO_CANCEL)


@BOTH
def test_signed_up_already_the_list_offers_to_give_the_place_up(runtime, person, organizing, lang):
    assembly_id, _ = organizing.create(site="gao")
    awa = person(AWA, lang)
    sign_up(awa, GAO)
    reference = reference_of(runtime, AWA, assembly_id)

    already = awa.converse("3", "1")
    told = prompt(runtime, lang, "assembly", "already", assembly_reference=reference)
    assert already.startswith(as_in(already, told))
    gave_up = awa.send("1")

    assert gave_up == last_reply(
        runtime, lang, texts.SIGNUP_CANCELLED, title=TITLES[lang], when=when(runtime, assembly_id), reference=reference
    )
    assert [status for status, _ in signups(runtime, assembly_id).values()] == ["cancelled"]
    # Given up, the assembly is theirs to sign up for again, with the same reference.
    again = sign_up(awa)
    how_to_cancel = runtime.catalogues.text(lang, texts.SIGNED_UP).rsplit(". ", 1)[-1]
    way_back = runtime.catalogues.text(lang, WAY_BACK)
    assert again.endswith(as_in(again, f"{reference}. {how_to_cancel}\n{way_back}"))
    assert [status for status, _ in signups(runtime, assembly_id).values()] == ["confirmed"]


def test_only_planned_assemblies_still_to_come_are_listed(runtime, person, organizing):
    held_id, _ = organizing.create(site="gao", titles={"fr": "Tenue"})
    organizing.create(site="gao", titles={"fr": "Prévue"}, starts_at=in_days(5))
    organizing.update(held_id, status="held")
    awa = person(AWA)

    listing = awa.converse("3", GAO).splitlines()
    assert len(listing) == 2 and listing[1].startswith("1 Prévue, ")
