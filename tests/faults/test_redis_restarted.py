"""Redis stopped in the middle of conversations, then started again empty, loses nothing (issue 9).

Redis is killed while people are half-way through a complaint: some send their description while it
is down, some only once it is back, and newcomers write a whole complaint during the outage. Where
each conversation was is in the database, so every message is read where its conversation was; the
restarted Redis remembers nothing (no queued job survived), and the sweep queues every submission
again from the database.
"""

import httpx

from tests.faults.deployment import COMPLAINT, Count, interleaved
from tests.real_processes import healthy, wait_for

HALF_WAY, NEWCOMERS = 10, 4
CONFIRMED = "Merci, votre plainte est enregistrée. Référence : "


def person(n: int) -> tuple[str, tuple[str, ...]]:
    return f"+2237500{n:04d}", (*COMPLAINT, f"Plainte numéro {n} : la distribution de vivres a sauté")


def test_redis_killed_mid_conversation_and_restarted_empty_loses_no_description(deployment, runtime, twilio):
    count = Count(runtime, twilio)
    people = [person(n) for n in range(HALF_WAY)]
    newcomers = [person(HALF_WAY + n) for n in range(NEWCOMERS)]
    during, after = people[: HALF_WAY // 2], people[HALF_WAY // 2 :]
    with httpx.Client(timeout=20, limits=httpx.Limits(max_keepalive_connections=0)) as client:

        def text(messages: list[tuple[str, str]]) -> list[str]:
            return [deployment.text(client, sender, body) for sender, body in messages]

        # Everyone is asked for their description; then Redis dies.
        text(interleaved([(sender, messages[:-1]) for sender, messages in people]))
        deployment.kill_redis()
        assert httpx.get(f"{deployment.url}/healthz").json()["redis"] == "down"

        outage = text([(sender, messages[-1]) for sender, messages in during] + interleaved(newcomers))
        deployment.start_redis()
        wait_for(lambda: healthy(f"{deployment.url}/healthz"), 30, "the web service to see Redis again")
        back = text([(sender, messages[-1]) for sender, messages in after])

    confirmations = [reply for reply in outage + back if CONFIRMED in reply]
    total = HALF_WAY + NEWCOMERS
    stored = wait_for(lambda: count.submissions() == (total, total) and count.submissions(), 60,
                      f"{total} submissions ready for triage")
    print(
        f"\nRedis killed with {HALF_WAY} people half-way and started again empty: {len(outage)} messages during the "
        f"outage, {len(back)} after; {len(confirmations)}/{total} complaints confirmed; submissions stored "
        f"{stored[0]}, triage-ready {stored[1]}; sent twice {len(count.sent_twice())}"
    )
    assert len(confirmations) == total  # every description was read as one, none answered with the main menu
    assert sorted(count.texts()) == sorted(messages[-1] for _, messages in people + newcomers)
    assert count.sent_twice() == []
