"""The database server cut off for a while loses no message (issue 9).

The connection between baro's processes and PostgreSQL is cut (a relay stops: every connection is
closed and new ones are refused) while people are in the middle of complaints and newcomers write for
the first time. Each is answered at once with a short "received" in their language; the requests wait
encrypted in the web processes' spool and are replayed in order once the database answers again. Then
every complaint is stored once and ready for triage, and the answers people could not get go out by
SMS, once. An SQLite database is a file of the web process, not a server that can be cut off; its
outage is the one tests/channels/test_database_down.py makes inside the app, on both databases.
"""

from collections import Counter

import httpx
import pytest
from sqlalchemy.engine import make_url

from bot.outbound.gsm7 import to_gsm
from tests.faults.deployment import COMPLAINT, Count, interleaved
from tests.faults.proxy import Relay
from tests.real_processes import healthy, wait_for
from tests.spool.outage import BAMBARA, FRENCH

PEOPLE, NEWCOMERS = 6, 3
CONFIRMED = "Merci, votre plainte est enregistrée. Référence : "


@pytest.fixture
def relay(database_url):
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        pytest.skip("an SQLite database is a file, not a server to cut off (see the module's docstring)")
    running = Relay((url.host or "127.0.0.1", url.port or 5432)).up()
    yield running
    running.down()


@pytest.fixture
def processes_database_url(database_url, relay) -> str:
    return make_url(database_url).set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)


def person(n: int) -> tuple[str, tuple[str, ...]]:
    return f"+2237600{n:04d}", (*COMPLAINT, f"Plainte numéro {n} : le toit de l'abri est tombé")


def test_the_database_cut_off_mid_conversation_loses_no_message(relay, deployment, runtime, twilio):
    count = Count(runtime, twilio)
    people = [person(n) for n in range(PEOPLE)]
    newcomers = [f"+2237700{n:04d}" for n in range(NEWCOMERS)]
    with httpx.Client(timeout=20, limits=httpx.Limits(max_keepalive_connections=0)) as client:
        # Everyone has chosen French and is half-way through a complaint; then the database is cut off.
        for sender, body in interleaved([(sender, messages[:3]) for sender, messages in people]):
            deployment.text(client, sender, body)
        relay.down()
        wait_for(lambda: httpx.get(f"{deployment.url}/healthz").json()["database"] == "down", 30, "/healthz to say so")
        rest = interleaved([(sender, messages[3:]) for sender, messages in people])
        outage = [deployment.text(client, sender, body) for sender, body in rest]
        firsts = [deployment.text(client, sender, "Bonjour") for sender in newcomers]
        spooled = httpx.get(f"{deployment.url}/healthz").json()["spool"]["waiting"]
        relay.up()

    total = PEOPLE
    wait_for(lambda: healthy(f"{deployment.url}/healthz"), 30, "the database back")
    stored = wait_for(lambda: count.submissions() == (total, total) and count.submissions(), 60,
                      f"{total} submissions ready for triage")
    wait_for(lambda: sum(CONFIRMED in sent.form["Body"] for sent in twilio.sent) == total, 60,
             "the confirmations people could not get, by SMS")
    confirmed = Counter(sent.form["To"] for sent in twilio.sent if CONFIRMED in sent.form["Body"])
    print(
        f"\ndatabase cut off: {len(outage) + len(firsts)} messages during the outage, all answered at once, "
        f"{spooled} spooled; back: submissions stored {stored[0]}/{total}, triage-ready {stored[1]}, "
        f"confirmations sent by SMS {sum(confirmed.values())}, sent twice {len(count.sent_twice())}"
    )
    assert [reply for reply in outage if FRENCH not in reply] == []
    # Told in every language: 104 characters, which an SMS carries folded (SMS_ALPHABET=auto, tests/spool/outage.py).
    assert [reply for reply in firsts if to_gsm(FRENCH) not in reply or to_gsm(BAMBARA) not in reply] == []
    assert spooled == len(outage) + len(firsts)
    assert sorted(count.texts()) == sorted(messages[-1] for _, messages in people)
    assert confirmed == dict.fromkeys((sender for sender, _ in people), 1)
    assert count.sent_twice() == []
