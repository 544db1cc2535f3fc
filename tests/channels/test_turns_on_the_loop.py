"""Turns run on the event loop (SQLite's default, WEBHOOK_THREADS=0): in the order their requests were read, and
at a peak kept by one commit, never answered before it.

The loop reads requests between turns. A turn runs only after the turns of every request read before it, so
at a peak no request is left waiting while later ones are answered (bench/capacity.py: a p99 of 87 ms at
saturation, against 509 ms when each iteration of the loop ran every turn it had read).
"""

import asyncio
import sqlite3
from concurrent.futures import ThreadPoolExecutor

import pytest
import uvloop
from sqlalchemy import event

from bot.turns import BACKLOG, LoopTurns

AT_A_PEAK = 2 * BACKLOG


def run(main):
    """What `main` returns, on uvloop as `baro web` serves; in a thread of its own, as the browser tests keep a
    loop running in this one."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(uvloop.run, main()).result()


@pytest.fixture
def turns(runtime) -> LoopTurns:
    return LoopTurns(runtime.engine, runtime.transactions)


@pytest.fixture
def store(runtime):
    return runtime.conversations.store


@pytest.fixture
def commits(runtime) -> list[int]:
    """The commits the database was asked for."""
    seen: list[int] = []

    def committed(connection) -> None:
        seen.append(1)

    event.listen(runtime.engine, "commit", committed)
    yield seen
    event.remove(runtime.engine, "commit", committed)


def saves(store, key: str, value: dict | None = None):
    """A turn that keeps `value` under `key`, and answers what it kept."""

    def work(db, after):
        store.save(db, key, value or {"kept": key})
        return key

    return work


def kept(runtime, store, key: str) -> dict | None:
    """What another connection reads under `key`: only what was committed."""
    with runtime.database() as db:
        return store.load(db, key)


def test_turns_run_one_at_a_time_in_the_order_they_came(turns):
    async def main() -> list[str]:
        done: list[str] = []

        def turn(n: int):
            return lambda db, after: done.append(f"turn {n}")

        await asyncio.gather(*(turns.run(turn(n)) for n in range(8)))
        return done

    assert run(main) == [f"turn {n}" for n in range(8)]


def test_the_loop_reads_what_came_meanwhile_before_the_next_turn(turns):
    async def main() -> list[str]:
        events: list[str] = []
        loop = asyncio.get_running_loop()

        def first(db, after) -> None:
            events.append("turn 1")
            loop.call_soon(events.append, "a request read")  # as the loop reads a socket that became ready

        await asyncio.gather(turns.run(first), turns.run(lambda db, after: events.append("turn 2")))
        return events

    assert run(main) == ["turn 1", "a request read", "turn 2"]


def test_at_a_peak_turns_share_commits_and_none_is_answered_before_it_is_kept(turns, store, runtime, commits):
    async def main() -> list[tuple[str, dict | None]]:
        async def answered(key: str) -> tuple[str, dict | None]:
            answer = await turns.run(saves(store, key))
            return answer, kept(runtime, store, key)  # read the moment the answer leaves

        return await asyncio.gather(*(answered(f"peak:{n}") for n in range(AT_A_PEAK)))

    assert run(main) == [(f"peak:{n}", {"kept": f"peak:{n}"}) for n in range(AT_A_PEAK)]
    assert 0 < len(commits) < AT_A_PEAK


def test_on_a_quiet_line_each_turn_commits_at_once(turns, store, commits):
    async def main() -> None:
        await asyncio.gather(*(turns.run(saves(store, f"quiet:{n}")) for n in range(BACKLOG)))

    run(main)
    assert len(commits) == BACKLOG


def test_a_turn_that_fails_is_undone_alone(turns, store, runtime):
    def fails(db, after):
        store.save(db, "peak:fails", {"kept": "half a turn"})
        raise ValueError("a bug in an action")

    async def main() -> list:
        works = [saves(store, f"peak:{n}") for n in range(AT_A_PEAK)]
        works[1] = fails
        return await asyncio.gather(*(turns.run(work) for work in works), return_exceptions=True)

    outcomes = run(main)
    assert isinstance(outcomes[1], ValueError)
    assert kept(runtime, store, "peak:fails") is None
    assert [kept(runtime, store, f"peak:{n}") for n in (0, 2, AT_A_PEAK - 1)] == [
        {"kept": "peak:0"},
        {"kept": "peak:2"},
        {"kept": f"peak:{AT_A_PEAK - 1}"},
    ]


def test_while_another_process_holds_the_write_lock_the_loop_goes_on_and_the_turn_waits(turns, store, runtime):
    if runtime.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock: PostgreSQL locks rows")
    other = sqlite3.connect(runtime.engine.url.database, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # as another web process would, in the middle of its turns

    async def main() -> list[str]:
        events: list[str] = []

        async def the_other_process_commits() -> None:
            for _ in range(3):  # only if the loop goes on while the turn waits
                await asyncio.sleep(0.01)
                events.append("the loop goes on")
            other.commit()
            events.append("the other process commits")

        async def answered() -> None:
            events.append(await turns.run(saves(store, "waited")))

        await asyncio.gather(answered(), the_other_process_commits())
        return events

    try:
        assert run(main) == ["the loop goes on"] * 3 + ["the other process commits", "waited"]
    finally:
        other.close()
    assert kept(runtime, store, "waited") == {"kept": "waited"}
