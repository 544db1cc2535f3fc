"""What a complaint really costs by SMS: the conversations walked through the real Twilio webhook.

A person texts the line as the journeys of bot/journeys.py script it; every TwiML reply is one SMS, written
under the default SMS_ALPHABET (auto). Its parts, summed over the conversation, are what the person's
operator bills, and what `baro flows report` and `baro flows check` must say.
"""

import pytest

from bot.journeys import JOURNEYS, LANGUAGE, walk
from bot.models import Feedback
from bot.outbound.gsm7 import cost
from bot.runtime import cost_samples
from tests.channels.support import count
from tests.conftest import replies, twilio_form

SCRIPTS = {journey.name: journey for journey in JOURNEYS}


def parts_sent(phone, journey, lang, languages) -> int:
    """Send the journey's messages; the SMS parts of every reply, as Twilio received it to send."""
    total = 0
    for says in journey.says:
        text = says.text.replace(LANGUAGE, str(languages.index(lang) + 1))
        response = phone.post(twilio_form(phone.number, text))
        assert response.status_code == 200, response.text
        [reply] = replies(response.text)  # one turn, one SMS however many replies it joins
        total += cost(reply).parts
    return total


@pytest.mark.parametrize(("lang", "number"), [("fr", "+22370000011"), ("bm", "+22370000012")])
def test_a_first_then_a_returning_complaint_cost_what_the_report_says_within_budget(
    client, settings, make_phone, lang, number
):
    assert settings.sms_alphabet == "auto"  # the default
    runtime = client.app.state.runtime
    data = cost_samples(settings, runtime.catalogues, runtime.flows)
    phone = make_phone(number)

    first = parts_sent(phone, SCRIPTS["first_complaint"], lang, runtime.catalogues.languages)
    returning = parts_sent(phone, SCRIPTS["returning_complaint"], lang, runtime.catalogues.languages)
    written = parts_sent(phone, SCRIPTS["written_complaint"], lang, runtime.catalogues.languages)

    assert count(runtime, Feedback) == 3  # every complaint recorded: the scripts went all the way
    assert first <= 9
    assert returning <= 5 and written <= 5
    assert first == walk(SCRIPTS["first_complaint"], lang, data).parts("auto")
    assert returning == walk(SCRIPTS["returning_complaint"], lang, data).parts("auto")
    assert written == walk(SCRIPTS["written_complaint"], lang, data).parts("auto")
