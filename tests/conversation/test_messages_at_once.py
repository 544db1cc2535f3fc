"""Two messages from one person at the same moment are taken one after the other, never both from one step."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from bot.models import Feedback, Message

# To the description of a complaint: language, consent, report a problem, the site, the service.
TO_THE_DESCRIPTION = ("Bonjour", "1", "1", "1", "3", "2")


@pytest.fixture(params=[None, "0", "4"], ids=["WEBHOOK_THREADS unset", "WEBHOOK_THREADS=0", "WEBHOOK_THREADS=4"])
def webhook_threads(request, reconfigure):
    """Where turns run: unset, on the event loop on SQLite and in four threads on PostgreSQL; 0, on the loop."""
    reconfigure(WEBHOOK_THREADS=request.param)


def test_two_descriptions_sent_at_once_make_one_complaint(webhook_threads, make_phone, runtime):
    # People often send a description in two texts, seconds apart; a provider may deliver them together.
    phones = [make_phone(f"+2237100{n:04d}") for n in range(6)]
    for phone in phones:
        assert "Décrivez le problème" in phone.converse(*TO_THE_DESCRIPTION)

    with ThreadPoolExecutor(max_workers=2 * len(phones)) as pool:
        sent = [
            pool.submit(phone.send, text)
            for phone in phones
            for text in ("Le forage du bloc C est en panne", "et il n'y a plus d'eau depuis lundi")
        ]
        answers = [future.result() for future in sent]

    with runtime.database() as db:
        complaints = db.scalar(select(func.count()).select_from(Feedback))
        stored = db.scalar(select(func.count()).select_from(Message).where(Message.direction == "in"))
    # Each person's first text is the description; the second comes after it, at the next step.
    assert complaints == len(phones)
    assert sum("Référence" in answer for answer in answers) == len(phones)
    assert stored == len(phones) * (len(TO_THE_DESCRIPTION) + 2)
