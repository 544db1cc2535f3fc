"""Following a reference typed with look-alikes (S for 5, U for V...), over SMS, WhatsApp and USSD.

References given before look-alikes were left out (bot.references) may hold them: `GAPNSV` typed for
`GAPN5V` finds the person's own case, and the answer spells the reference right. Never anyone else's.
"""

import pytest
from sqlalchemy import select, update

from bot.actions.status_texts import NOT_FOUND, STATUS
from bot.engine.texts import WAY_BACK
from bot.models import Feedback
from tests.admin_support import submit_complaint
from tests.channels.ussd_aggregator import Aggregator, body
from tests.test_whatsapp import WhatsApp

OLD = "GAPN5V"  # a reference given before: S, Z, B, G, U and their look-alikes were all drawn then


def given_before(runtime, text: str, reference: str = OLD) -> None:
    """The case `text` now carries `reference`, as an older reference would."""
    with runtime.database() as db, db.begin():
        db.execute(update(Feedback).where(Feedback.text == text).values(reference=reference))


def answer(runtime, reference: str, status, closing: bool = False) -> str:
    """The follow-up's answer as the catalogues write it: "Référence GAPN5V: ...", then the way back to the menu
    (none on a USSD screen that closes)."""
    prompt = runtime.conversations.flows.state("followup", "status").prompt
    said = runtime.catalogues.fill("fr", prompt, {"reference": reference, "status": status})
    return said if closing else f"{said}\n{runtime.catalogues.text('fr', WAY_BACK)}"


@pytest.mark.parametrize("channel", ["sms", "whatsapp"])
def test_a_reference_typed_with_look_alikes_finds_the_persons_own_case(make_phone, runtime, channel):
    person = make_phone("+22370000081") if channel == "sms" else WhatsApp(make_phone, "+22370000081")
    submit_complaint(person, "Pas d'eau au forage")
    given_before(runtime, "Pas d'eau au forage")

    assert person.converse("5", "gapnsv") == answer(runtime, OLD, STATUS["new"])
    assert person.converse("5", "6APN-5U") == answer(runtime, OLD, STATUS["new"])
    assert person.converse("5", OLD) == answer(runtime, OLD, STATUS["new"])  # and exactly, as before
    with runtime.database() as db:
        assert db.scalar(select(Feedback.channel).where(Feedback.reference == OLD)) == channel


def test_a_reference_typed_with_look_alikes_finds_the_persons_own_case_over_ussd(twilio, client, runtime):
    first = Aggregator(client, phone="+22370000082")
    first.dial()
    first.presses("1", "1", "1", "1", "2", "Pas d'eau au forage")
    given_before(runtime, "Pas d'eau au forage")

    later = Aggregator(client, phone="+22370000082")
    later.dial()
    later.press("5")
    shown = later.press("GAPNSV")
    assert shown.startswith("END ") and body(shown) == answer(runtime, OLD, STATUS["new"], closing=True)


def test_look_alikes_never_find_someone_elses_case(make_phone, runtime):
    owner, other = make_phone("+22370000083"), make_phone("+22370000084")
    submit_complaint(owner, "Pas d'eau au forage")
    given_before(runtime, "Pas d'eau au forage")
    submit_complaint(other, "Les latrines débordent")

    assert other.converse("5", "GAPNSV") == answer(runtime, "GAPNSV", NOT_FOUND)
    assert other.converse("5", OLD) == answer(runtime, OLD, NOT_FOUND)
    assert owner.converse("5", "GAPNSV") == answer(runtime, OLD, STATUS["new"])
