"""Quiet hours: bulk sends (broadcasts, assembly notices) wait outside them; replies to people never do.

BROADCAST_QUIET_HOURS is `HH:MM-HH:MM` in TIMEZONE's local time and may span midnight (`21:00-07:00`);
empty disables it. The start is quiet, the end is not.
"""

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

FORMAT = re.compile(r"^\s*([01]\d|2[0-3]):([0-5]\d)\s*-\s*([01]\d|2[0-3]):([0-5]\d)\s*$")


def parse(value: str) -> tuple[time, time] | None:
    """(start, end) of the quiet hours, or None when disabled; ValueError if `value` is not `HH:MM-HH:MM`."""
    if not value or not value.strip():
        return None
    match = FORMAT.match(value)
    if match is None:
        raise ValueError(f"quiet hours must be HH:MM-HH:MM (e.g. 21:00-07:00) or empty, not {value!r}")
    start_h, start_m, end_h, end_m = (int(group) for group in match.groups())
    start, end = time(start_h, start_m), time(end_h, end_m)
    if start == end:
        raise ValueError(f"quiet hours {value!r} start and end at the same time: leave it empty to disable")
    return start, end


def quiet_until(hours: str, timezone: str, now: datetime | None = None) -> datetime | None:
    """When the quiet hours `now` falls in end (aware, UTC); None if `now` is not in quiet hours."""
    window = parse(hours)
    if window is None:
        return None
    start, end = window
    zone = ZoneInfo(timezone)
    local = (now or datetime.now(UTC)).astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    # Spanning midnight, it is quiet after the start or before the end.
    quiet = start <= clock < end if start < end else clock >= start or clock < end
    if not quiet:
        return None
    day = local.date() if clock < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=zone).astimezone(UTC)


def is_quiet(hours: str, timezone: str, now: datetime | None = None) -> bool:
    """Whether bulk sends wait at `now`."""
    return quiet_until(hours, timezone, now) is not None
