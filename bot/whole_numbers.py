"""Whole numbers typed into requests (query parameters, form fields), read strictly.

`str.isdigit()` is true for "²", "١" and "𝟏", and `int()` reads "١٢", " 12 ", "+12" and "1_2":
request input checked that way answered 500 (`int("²")` raises), or let "١" stand for staff
member 1. A number here is ASCII digits only, of bounded length and value; anything else is None,
for the caller to refuse (a 4xx) or ignore with a message.
"""

import re

_DIGITS = re.compile(r"[0-9]{1,19}")  # enough for any 64-bit value; never a thousand-digit int()

# The largest row id read from a request: nine digits (no table here nears a billion rows), well within
# PostgreSQL's INTEGER; a bigger number would overflow the query's parameter (a 500 on PostgreSQL and SQLite).
MAX_ID = 999_999_999


def whole_number(raw: object, low: int = 0, high: int = 2**63 - 1) -> int | None:
    """`raw` read as a number, if it is ASCII digits and from `low` to `high`; otherwise None."""
    if not isinstance(raw, str) or not _DIGITS.fullmatch(raw):
        return None
    value = int(raw)
    return value if low <= value <= high else None


def record_id(raw: object) -> int | None:
    """`raw` read as a row's id (1 to MAX_ID), or None."""
    return whole_number(raw, 1, MAX_ID)
