"""WhatsApp through Twilio's messaging webhook, and the same person on SMS afterwards.

Twilio posts WhatsApp messages to the same webhook as SMS, with `From: whatsapp:+223...` and a
few fields SMS has not (ProfileName, WaId, MessageType...). One number is one person, whichever
channel they write from.
"""

import pytest
from sqlalchemy import func, select

from bot.actions.sign_up import answer as signup_answer
from bot.actions.status_texts import SIGNUP_STATUS, STATUS
from bot.models import Contact, Feedback, Message, Signup, Site
from bot.outbound.gsm7 import prepare
from tests.flows.screens import ended

NUMBER = "+22370000060"


def whatsapp_fields(number: str) -> dict[str, str]:
    """What Twilio adds to a WhatsApp webhook, beyond the SMS fields."""
    return {
        "To": "whatsapp:+22320000001",
        "ProfileName": "Awa Traoré",
        "WaId": number.removeprefix("+"),
        "MessageType": "text",
        "SmsStatus": "received",
        "NumSegments": "1",
        "ApiVersion": "2010-04-01",
    }


class WhatsApp:
    """A person writing on WhatsApp: every message carries Twilio's WhatsApp fields."""

    def __init__(self, make_phone, number: str = NUMBER):
        self.phone = make_phone(f"whatsapp:{number}")
        self.extra = whatsapp_fields(number)

    def send(self, body: str) -> str:
        return self.phone.send(body, **self.extra)

    def converse(self, *bodies: str) -> str:
        reply = ""
        for text in bodies:
            reply = self.send(text)
        return reply


def screen(runtime, lang: str, flow: str, state: str, **params) -> str:
    """A flow state's screen as the catalogue writes it: prompt, then its numbered options.

    The prompt quotes what the line says of itself (who runs it, what a message costs) as the conversation does."""
    found = runtime.conversations.flows.state(flow, state)
    catalogues = runtime.catalogues
    return "\n".join(
        [catalogues.fill(lang, found.prompt, {**runtime.conversations.line, **params})]
        + [f"{option.key} {catalogues.text(lang, option.label)}" for option in found.options]
    )


def by_sms(runtime, text: str) -> str:
    """`text` as an SMS carries it: under SMS_ALPHABET=auto, folded where that saves parts (WhatsApp keeps ɛ ɔ)."""
    return prepare(text, runtime.settings.alphabet("sms"))


def status_line(runtime, reference: str, status) -> str:
    prompt = runtime.conversations.flows.state("followup", "status").prompt
    return runtime.catalogues.fill("bm", prompt, {"reference": reference, "status": status})


def feedbacks(runtime) -> list[Feedback]:
    with runtime.database() as db:
        return list(db.scalars(select(Feedback).order_by(Feedback.id)))


@pytest.fixture
def awa(make_phone) -> WhatsApp:
    return WhatsApp(make_phone)


def onboard_in_bambara(person: WhatsApp) -> None:
    person.converse("I ni ce", "2", "1")


def test_a_bambara_speaker_completes_a_complaint_over_whatsapp(awa, runtime):
    welcome = awa.send("I ni ce")
    assert "Aw bisimila! Kan sugandi:" in welcome and welcome.endswith("1 Français\n2 Bamanankan")
    assert awa.send("2") == screen(runtime, "bm", "welcome", "consent")
    assert awa.send("1") == "\n".join(
        [screen(runtime, "bm", "welcome", "accepted"), screen(runtime, "bm", "main", "menu")]
    )
    assert awa.send("1") == "\n".join(
        [screen(runtime, "bm", "complaint", "site"), "1 Niamana", "2 Sogoniko", "3 Sénou", "4 Mopti", "5 Gao"]
    )
    assert awa.send("1") == screen(runtime, "bm", "complaint", "category")
    assert awa.send("2") == screen(runtime, "bm", "complaint", "description")
    done = awa.send("Ji tɛ yen")

    (feedback,) = feedbacks(runtime)
    assert done == ended("bm", screen(runtime, "bm", "complaint", "done", reference=feedback.reference))
    assert (feedback.kind, feedback.channel, feedback.language) == ("complaint", "whatsapp", "bm")
    assert (feedback.category, feedback.text) == ("water_sanitation", "Ji tɛ yen")
    with runtime.database() as db:
        assert db.get(Site, feedback.site_id).slug == "niamana"
        channels = set(db.scalars(select(Message.channel)))
        assert channels == {"whatsapp"}


def test_an_assembly_sign_up_and_a_follow_up_over_whatsapp(awa, runtime):
    onboard_in_bambara(awa)
    awa.converse("1", "1", "3", "Dɔgɔtɔrɔso datugulen don")  # a complaint, which sets the site
    (complaint,) = feedbacks(runtime)

    listing = awa.send("3")  # the site is known: straight to its assemblies
    assert listing.startswith("Lajɛ nataw aw ka sigida la:\n1 Assemblée citoyenne de Niamana, ")
    assert listing.endswith(", 10:00, Espace communautaire de Niamana")
    confirm = awa.send("1")
    assert confirm.startswith("Aw bɛ aw tɔgɔ sɛbɛn Assemblée citoyenne de Niamana la, ")
    assert confirm.endswith("wa?\n1 Ɔwɔ\n2 Ayi")
    signed = awa.send("1")
    with runtime.database() as db:
        signup = db.scalars(select(Signup)).one()
        reference = signup.feedback.reference
        assert (signup.status, signup.feedback.channel) == ("confirmed", "whatsapp")
        told = signup_answer(signup.assembly, "confirmed", reference, "bm", "fr")  # title, day, time and place
    assert signed == ended("bm", screen(runtime, "bm", "assembly", "signed", signup=told))

    listing = awa.send("5")
    assert listing.split("\n")[1:] == [f"1 {reference}", f"2 {complaint.reference}"]
    assert awa.send("2") == ended("bm", status_line(runtime, complaint.reference, STATUS["new"]))
    assert awa.converse("5", "1") == ended("bm", status_line(runtime, reference, SIGNUP_STATUS["confirmed"]))
    # Choosing the same assembly again tells the sign-up that exists.
    assert awa.converse("3", "1") == screen(runtime, "bm", "assembly", "already", assembly_reference=reference)


def test_the_same_number_over_sms_is_the_same_person(awa, make_phone, runtime):
    onboard_in_bambara(awa)
    awa.converse("1", "3", "4", "Dumuni tɛ sɔrɔ")  # a complaint at Sénou
    (on_whatsapp,) = feedbacks(runtime)

    sms = make_phone(NUMBER)
    # No language menu, no consent: the main menu, in Bambara.
    assert sms.send("I ni ce") == by_sms(runtime, screen(runtime, "bm", "main", "menu"))
    # The site is remembered: straight to the category.
    assert sms.send("1") == by_sms(runtime, screen(runtime, "bm", "complaint", "category"))
    sms.converse("5", "Sɔsɔw ka ca")
    on_sms = feedbacks(runtime)[-1]
    assert (on_sms.channel, on_sms.language, on_sms.contact_id) == ("sms", "bm", on_whatsapp.contact_id)
    assert on_sms.site_id == on_whatsapp.site_id

    listing = sms.send("5")
    assert listing.split("\n")[1:] == [f"1 {on_sms.reference}", f"2 {on_whatsapp.reference}"]
    assert sms.send("2") == by_sms(runtime, ended("bm", status_line(runtime, on_whatsapp.reference, STATUS["new"])))
    with runtime.database() as db:
        assert db.scalar(select(func.count()).select_from(Contact)) == 1


def test_a_whatsapp_conversation_left_half_way_does_not_hold_up_sms(awa, make_phone, runtime):
    onboard_in_bambara(awa)
    assert awa.converse("1", "1") == screen(runtime, "bm", "complaint", "category")
    sms = make_phone(NUMBER)
    # SMS has its own conversation: a first message opens it at the main menu...
    assert sms.send("I ni ce") == by_sms(runtime, screen(runtime, "bm", "main", "menu"))
    assert sms.send("5") == by_sms(runtime, screen(runtime, "bm", "followup", "type_reference"))  # nothing sent yet
    # WhatsApp picks up where it was.
    assert awa.send("4") == screen(runtime, "bm", "complaint", "description")


def test_whatsapp_extra_fields_are_accepted_and_not_kept(awa, runtime):
    assert awa.send("I ni ce").startswith("Bienvenue sur baro.")
    with runtime.database() as db:
        (inbound,) = db.scalars(select(Message).where(Message.direction == "in"))
        contact = db.get(Contact, inbound.contact_id)
    assert (inbound.channel, inbound.text) == ("whatsapp", "I ni ce")
    kept = " ".join(str(value) for value in vars(contact).values()) + " ".join(
        str(value) for value in vars(inbound).values()
    )
    assert "Awa" not in kept and "22370000060" not in kept  # the profile name and number are not stored in clear


def test_a_bambara_speaker_tells_a_need_and_makes_a_confidential_report_on_whatsapp(make_phone, runtime):
    person = WhatsApp(make_phone, "+22370000068")
    person.converse("I ni ce", "2", "1")
    need = person.converse("2", "1", "8", "N bɛ baara ɲini")
    report = person.converse("4", "3", "Cɛ dɔ bɛ n bagabaga", "3")
    with runtime.database() as db:
        filed = {f.kind: f for f in db.scalars(select(Feedback))}
    assert need == ended("bm", screen(runtime, "bm", "need", "done", reference=filed["need"].reference))
    confidential_done = screen(runtime, "bm", "confidential", "done", reference=filed["confidential"].reference)
    assert report == ended("bm", confidential_done)
    assert (filed["need"].category, filed["need"].channel) == ("livelihoods", "whatsapp")
    confidential = filed["confidential"]
    assert (confidential.category, confidential.confidential, confidential.text) == ("threat", True, None)
    assert runtime.vault.decrypt(confidential.text_encrypted) == "Cɛ dɔ bɛ n bagabaga"
