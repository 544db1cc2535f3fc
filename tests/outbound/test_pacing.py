"""Outbound pacing against a real Redis: slots spaced 1/rate apart, whoever asks for them."""

import multiprocessing
import threading
import time
import uuid
from itertools import pairwise

import pytest
from redis import Redis

from bot.outbound.pacing import Pacer

MS = 0.001
TOLERANCE_US = 2_000  # a reservation's own round trip, in the microseconds slots are counted in


@pytest.fixture
def redis(redis_url):
    connection = Redis.from_url(redis_url)
    yield connection
    connection.close()


@pytest.fixture
def prefix():
    return f"test:pace:{uuid.uuid4().hex}"


@pytest.fixture
def pacer(redis, prefix):
    return Pacer(redis, prefix)


def assert_spaced(slots: list[int], per_second: float):
    slots = sorted(slots)
    gaps = [later - earlier for earlier, later in pairwise(slots)]
    assert min(gaps) >= 1_000_000 / per_second - TOLERANCE_US, gaps


def test_the_first_message_goes_now(pacer):
    assert pacer.reserve("sms", 1) == 0.0


def after_the_first(reserved: list[tuple[int, int]]) -> list[int]:
    """Each slot's distance from the first, in microseconds of the Redis clock, so a slow round trip moves none."""
    (_, first), *_ = reserved
    return [slot - first for _, slot in reserved]


def test_messages_queue_up_one_interval_apart(pacer):
    reserved = [pacer.reserve_slot("sms", 4) for _ in range(5)]
    assert after_the_first(reserved) == [0, 250_000, 500_000, 750_000, 1_000_000]
    # Each delay is what is left of its slot when it was reserved, however long the reservations took.
    assert all(0 <= slot - now <= 1_000_000 for now, slot in reserved)


def test_channels_are_paced_independently(pacer):
    assert after_the_first([pacer.reserve_slot("sms", 1) for _ in range(3)]) == [0, 1_000_000, 2_000_000]
    first = pacer.reserve_slot("whatsapp", 10)
    assert first[0] == first[1]  # free now, whatever sms has queued
    assert after_the_first([first, pacer.reserve_slot("whatsapp", 10)]) == [0, 100_000]


def test_prefixes_are_paced_independently(redis, pacer):
    pacer.reserve("sms", 1)
    assert Pacer(redis, f"other:{uuid.uuid4().hex}").reserve("sms", 1) == 0.0


def test_once_the_reserved_slots_have_passed_the_next_message_goes_now(pacer):
    delays = [pacer.reserve("gateway", 100) for _ in range(3)]
    time.sleep(max(delays) + 15 * MS)
    assert pacer.reserve("gateway", 100) == 0.0


def test_wait_sleeps_until_the_reserved_slot(pacer):
    slept = []
    started = time.monotonic()
    delays = [pacer.wait("sms", 2, sleep=slept.append) for _ in range(3)]
    took = time.monotonic() - started  # the sleeps are not taken: only the reservations' round trips pass
    assert all(due - took <= delay <= due for delay, due in zip(delays, [0, 0.5, 1.0], strict=True)), delays
    assert slept == delays[1:]  # nothing to sleep for the first


def test_wait_really_paces_in_real_time(pacer):
    started = time.monotonic()
    for _ in range(5):
        pacer.wait("whatsapp", 50)
    assert time.monotonic() - started >= 80 * MS


def test_threads_never_share_a_slot(redis_url, prefix):
    slots, lock = [], threading.Lock()

    def send(count):
        pacer = Pacer(Redis.from_url(redis_url), prefix)  # a connection each, like separate workers
        for _ in range(count):
            _, slot = pacer.reserve_slot("sms", 100)
            with lock:
                slots.append(slot)

    threads = [threading.Thread(target=send, args=(10,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(slots) == 40
    assert_spaced(slots, 100)


def reserve_in_a_process(redis_url: str, prefix: str, count: int) -> list[int]:
    pacer = Pacer(Redis.from_url(redis_url), prefix)
    return [pacer.reserve_slot("sms", 100)[1] for _ in range(count)]


def test_processes_never_share_a_slot(redis_url, prefix):
    # Spawned, not forked: a fork from this process (xdist's threads, a live server's) can inherit a lock held at
    # that instant and wait on it forever, as a CI run on PostgreSQL once did here.
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        results = pool.starmap(reserve_in_a_process, [(redis_url, prefix, 20)] * 2)
    slots = [slot for result in results for slot in result]
    assert len(slots) == 40
    assert_spaced(slots, 100)


def test_an_idle_channel_leaves_no_key_behind(redis, pacer, prefix):
    pacer.reserve("sms", 1)
    assert 0 < redis.pttl(f"{prefix}:sms") <= 1000  # kept just as long as the next slot is ahead
    pacer.reserve("whatsapp", 100)
    time.sleep(30 * MS)
    assert not redis.exists(f"{prefix}:whatsapp")
    assert pacer.reserve("whatsapp", 100) == 0.0


@pytest.mark.parametrize("per_second", [0, -1, float("nan")])
def test_a_rate_must_be_positive(pacer, per_second):
    with pytest.raises(ValueError):
        pacer.reserve("sms", per_second)
