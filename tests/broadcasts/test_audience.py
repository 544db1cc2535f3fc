"""Who a broadcast reaches, who it leaves out and why, and what its SMS cost: the preview organizers read."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.broadcasts.audience import Audience, preview
from bot.broadcasts.plan import create_broadcast
from bot.cases.lifecycle import Refused
from bot.db import transaction
from bot.models import Assembly, Contact, Feedback, Message, Signup, utcnow
from bot.outbound.gsm7 import cost
from bot.references import new_reference
from bot.vocabulary import Consent, Kind, SignupStatus
from tests.broadcasts.conftest import crowd

TEXTS = {"fr": "Distribution de savon demain à 9 h.", "bm": "Safinɛ tilali bɛ kɛ sini sɔgɔma."}


def look(runtime, audience=Audience(), texts=TEXTS):
    with runtime.database() as db:
        return preview(db, runtime.settings, audience, texts)


@pytest.mark.parametrize(
    "data",
    [
        "everyone",
        {"sites": "niamana"},
        {"sites": [1]},
        {"languages": [""]},
        {"channels": ["fax"]},
        {"assembly": "3"},
        {"assembly": True},
        {"everyone": True},
    ],
)
def test_an_audience_that_is_not_one_is_refused_with_a_reason(data):
    with pytest.raises(Refused) as refused:
        Audience.from_json(data)
    assert refused.value.text()  # an admin msgid staff read, translated where shown


@pytest.mark.parametrize("data", [{"sites": ["tombouctou"]}, {"languages": ["en"]}, {"assembly": 999}])
def test_a_site_language_or_assembly_that_does_not_exist_is_refused(runtime, data):
    with runtime.database() as db, pytest.raises(Refused):
        Audience.from_json(data, db, runtime.settings)
    with pytest.raises(Refused):
        look(runtime, Audience.from_json(data))


def test_an_audience_reads_back_as_it_was_given(runtime):
    data = {"sites": ["gao", "mopti"], "languages": ["bm"], "channels": ["whatsapp", "ussd"], "assembly": None}
    with runtime.database() as db:
        audience = Audience.from_json(data, db, runtime.settings)
    assert audience.to_json() == data and Audience.from_json({}) == Audience()


def test_everyone_who_consented_is_reached_on_their_channel_and_the_others_are_left_out_with_their_reason(
    reconfigure, runtime
):
    crowd(runtime, 6, 1, channel="sms")
    crowd(runtime, 3, 11, channel="ussd")  # texted by SMS: a USSD session cannot be reached
    crowd(runtime, 4, 21, channel="whatsapp")
    crowd(runtime, 2, 31, opted_out=True)
    crowd(runtime, 1, 41, consent=Consent.REFUSED)
    crowd(runtime, 1, 51, consent=None)
    found = look(runtime)
    assert (found.reach, found.total) == ({"sms": 9, "whatsapp": 4}, 13)
    assert found.left_out == {"opted_out": 2, "no_consent": 2, "outside_whatsapp_window": 0, "protection": 0}


def test_whatsapp_people_outside_the_window_are_left_out_only_without_a_template(reconfigure, runtime):
    reconfigure(WHATSAPP_TEMPLATE_SID="")
    crowd(runtime, 2, 1, channel="whatsapp", whatsapp_seen=utcnow() - timedelta(hours=2))
    crowd(runtime, 3, 11, channel="whatsapp", whatsapp_seen=utcnow() - timedelta(hours=25))
    assert look(runtime).left_out["outside_whatsapp_window"] == 3 and look(runtime).reach["whatsapp"] == 2
    runtime.settings.whatsapp_template_sid = "HX" + "1" * 32
    assert look(runtime).left_out["outside_whatsapp_window"] == 0 and look(runtime).reach["whatsapp"] == 5


def test_protection_focal_points_are_never_in_an_audience(reconfigure, runtime):
    people = crowd(runtime, 3)
    runtime.settings.protection_alert_numbers = [people[0].phone]
    found = look(runtime)
    assert (found.total, found.left_out["protection"]) == (2, 1)


def test_sites_languages_and_channels_narrow_the_audience(runtime):
    people = crowd(runtime, 60, spread=True)
    audience = Audience(sites=("gao", "niamana"), languages=("bm",), channels=("sms", "ussd"))
    expected = [
        p for p in people if p.site in ("gao", "niamana") and p.language == "bm" and p.channel in ("sms", "ussd")
    ]
    found = look(runtime, audience)
    assert found.total == len(expected) > 0 and found.reach == {"sms": len(expected), "whatsapp": 0}


def test_an_assembly_audience_is_everyone_signed_up_or_waiting_but_not_who_cancelled(runtime):
    people = crowd(runtime, 5)
    with transaction(runtime.database) as db:
        assembly = db.query(Assembly).first()
        statuses = [SignupStatus.CONFIRMED, SignupStatus.ATTENDED, SignupStatus.WAITING, SignupStatus.CANCELLED]
        for person, status in zip(people, statuses, strict=False):
            feedback = Feedback(
                reference=new_reference(),
                kind=Kind.ASSEMBLY,
                category=status,
                language="fr",
                channel="sms",
                contact_id=person.id,
            )
            db.add(feedback)
            db.flush()
            db.add(Signup(assembly_id=assembly.id, contact_id=person.id, feedback_id=feedback.id, status=status))
        assembly_id = assembly.id
    assert look(runtime, Audience(assembly=assembly_id)).total == 3


def test_each_language_costs_its_own_encoding_and_parts(reconfigure, runtime):
    crowd(runtime, 4, 1, language="fr")
    crowd(runtime, 2, 11, language="bm")
    crowd(runtime, 3, 21, language="bm", channel="whatsapp")  # no SMS parts: WhatsApp
    crowd(runtime, 1, 31, language=None)  # the default language's text
    found = look(runtime, texts={"fr": TEXTS["fr"], "bm": TEXTS["bm"] * 3})
    fr, bm = found.languages
    assert (fr.language, fr.recipients, fr.sms_recipients, fr.encoding, fr.parts) == ("fr", 5, 5, "GSM-7", 1)
    # Bambara's own letters (ɛ ɔ) are not in GSM-7: 96 characters are 2 UCS-2 parts as written, 1 GSM-7 part
    # in the older spelling, so the default SMS_ALPHABET=auto folds it.
    assert (bm.language, bm.recipients, bm.sms_recipients, bm.encoding, bm.parts) == ("bm", 5, 2, "GSM-7", 1)
    assert found.total_parts == 5 * 1 + 2 * 1
    # A short text keeps its letters: one UCS-2 SMS costs no more.
    (_, short) = look(runtime).languages
    assert (short.encoding, short.parts) == ("UCS-2", 1)


def test_on_an_sms_line_set_to_unicode_bambara_costs_ucs2_parts(reconfigure, runtime):
    reconfigure(SMS_ALPHABET="unicode")
    runtime.settings.sms_alphabet = "unicode"
    crowd(runtime, 2, language="bm")
    (_, bm) = look(runtime, texts={"fr": TEXTS["fr"], "bm": TEXTS["bm"] * 3}).languages
    assert (bm.encoding, bm.parts, bm.total_parts) == ("UCS-2", 2, 4)


def test_the_preview_costs_what_the_broadcast_writes_to_each_person(runtime):
    crowd(runtime, 2, 11, language="bm")
    crowd(runtime, 1, 21, language="bm", channel="whatsapp")
    crowd(runtime, 3, 31, language="fr")
    texts = {"fr": TEXTS["fr"] * 2, "bm": TEXTS["bm"] * 3}
    found = look(runtime, texts=texts)
    sent = create_broadcast(runtime, None, texts, Audience(), None)
    with runtime.database() as db:
        written = db.execute(
            select(Message.channel, Contact.language, Message.text)
            .join(Contact, Contact.id == Message.contact_id)
            .where(Message.broadcast_id == sent.id)
        ).all()
    by_sms = [(language, cost(text)) for channel, language, text in written if channel == "sms"]
    for each in found.languages:
        assert {(sms.encoding, sms.parts) for language, sms in by_sms if language == each.language} == {
            (each.encoding, each.parts)
        }
    assert found.total_parts == sum(sms.parts for _, sms in by_sms) == 3 * 1 + 2 * 1
    assert [text for channel, _, text in written if channel == "whatsapp"] == [texts["bm"]]  # letters kept


def test_on_an_sms_line_set_to_gsm_bambara_costs_gsm7_parts(reconfigure, runtime):
    reconfigure(SMS_ALPHABET="gsm")
    runtime.settings.sms_alphabet = "gsm"
    crowd(runtime, 2, language="bm")
    (_, bm) = look(runtime).languages
    assert (bm.encoding, bm.parts, bm.total_parts) == ("GSM-7", 1, 2)


def test_without_a_text_in_their_language_a_person_costs_the_default_languages_text(runtime):
    crowd(runtime, 2, language="bm")
    (_, bm) = look(runtime, texts={"fr": "Bonjour"}).languages
    assert (bm.recipients, bm.encoding, bm.total_parts) == (2, "GSM-7", 2)
