"""Outbound pacing per sender channel, shared by every worker through Redis."""

import time
from collections.abc import Callable

from redis import Redis

from bot import metrics

# Replies go first without a priority scheme of their own: the lanes are separate RQ queues a
# worker drains in order (replies before broadcasts), and each job reserves its slot only when it
# runs, never when it is queued, so at most one slot per worker is reserved ahead of a reply.

# A "next free time" scheme (GCRA without burst). Everything is in integer microseconds of the
# server's own clock, so workers on different hosts agree and a float never rounds a slot away.
# The key lives exactly as long as its stored time is in the future: once it vanishes, an absent
# key and a stale one mean the same thing, "free now". Returns {now, slot}.
RESERVE = """
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local slot = math.max(now, tonumber(redis.call('GET', KEYS[1]) or 0))
local free = slot + tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%d', free), 'PX', math.ceil((free - now) / 1000))
return {now, slot}
"""


class Pacer:
    def __init__(self, redis: Redis, prefix: str = "baro:pace"):
        self.prefix = prefix
        self._reserve = redis.register_script(RESERVE)

    def reserve_slot(self, channel: str, per_second: float) -> tuple[int, int]:
        """Reserve the channel's next send slot; (now, slot) in microseconds of the Redis server's clock."""
        if not per_second > 0:  # also refuses NaN
            raise ValueError(f"per_second must be positive, not {per_second!r}")
        interval = max(1, round(1_000_000 / per_second))
        now, slot = self._reserve(keys=[f"{self.prefix}:{channel}"], args=[interval])
        return now, slot

    def reserve(self, channel: str, per_second: float) -> float:
        """Reserve the channel's next send slot; the seconds to wait before sending (0.0: send now)."""
        now, slot = self.reserve_slot(channel, per_second)
        return (slot - now) / 1_000_000

    def wait(self, channel: str, per_second: float, sleep: Callable[[float], None] = time.sleep) -> float:
        """Reserve a slot and sleep until it comes; the seconds slept."""
        delay = self.reserve(channel, per_second)
        metrics.observe_pacing(channel, delay)
        if delay > 0:
            sleep(delay)
        return delay

