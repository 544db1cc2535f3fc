"""Turns run on the event loop (SQLite's default, WEBHOOK_THREADS=0) in the order their requests were read.

The loop reads requests between turns. A turn runs only after the turns of every request read before it, so
at a peak no request is left waiting while later ones are answered (bench/capacity.py: a p99 of 87 ms at
saturation, against 509 ms when each iteration of the loop ran every turn it had read).
"""

import asyncio
from concurrent.futures import ThreadPoolExecutor

import uvloop

from bot.web.providers import on_the_loop


def run(main) -> list[str]:
    """What `main` recorded, on uvloop as `baro web` serves; in a thread of its own, as the browser tests keep a
    loop running in this one."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(uvloop.run, main()).result()


def test_turns_run_one_at_a_time_in_the_order_they_came():
    async def main() -> list[str]:
        done: list[str] = []
        await asyncio.gather(*(on_the_loop(lambda n=n: done.append(f"turn {n}")) for n in range(8)))
        return done

    assert run(main) == [f"turn {n}" for n in range(8)]


def test_the_loop_reads_what_came_meanwhile_before_the_next_turn():
    async def main() -> list[str]:
        events: list[str] = []
        loop = asyncio.get_running_loop()

        def first() -> None:
            events.append("turn 1")
            loop.call_soon(events.append, "a request read")  # as the loop reads a socket that became ready

        await asyncio.gather(on_the_loop(first), on_the_loop(lambda: events.append("turn 2")))
        return events

    assert run(main) == ["turn 1", "a request read", "turn 2"]


def test_a_turn_that_fails_lets_the_next_one_run():
    async def main() -> list[str]:
        done: list[str] = []

        def fails() -> None:
            raise ValueError("the database said no")

        outcomes = await asyncio.gather(
            on_the_loop(fails), on_the_loop(lambda: done.append("answered")), return_exceptions=True
        )
        return [type(outcomes[0]).__name__, *done]

    assert run(main) == ["ValueError", "answered"]
