"""Short references people can read out and type back, and the look-alikes they may type for one."""

import secrets
from collections.abc import Iterable

# Characters people take for one another on a small screen, in handwriting or when a reference is read out,
# as groups; the first of each group stands for the group when references are compared (`fold`).
# S/5, Z/2, B/8, G/6, O/0, I/1/L and U/V are the usual confusions; Q is read as O on a phone's small font.
LOOK_ALIKES = ("5S", "2Z", "8B", "6G", "0OQ", "1IL", "VU")
_FOLDED = str.maketrans({other: group[0] for group in LOOK_ALIKES for other in group[1:]})

# New references: 8 digits and 17 letters, one of each look-alike group at most, so none needs guessing.
# The digits are kept over S, Z, B, G (a digit is one key press on a basic phone, a letter several),
# V over U; none of 0/O/Q or 1/I/L (no member of those reads safely). Sorted, so references
# sort as the numbers they write. 6 of 25 symbols: 25**6 ≈ 244 million references, about 27.9 bits,
# and 6 characters still fit the String(12) columns.
ALPHABET = "23456789ACDEFHJKMNPRTVWXY"
# Every reference given before that (31 symbols: all but 0, 1, O, I, L): they stay valid, typed exactly.
GIVEN = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 6
# Longer than any reference ever given: a longer text is not worth a look-up.
MAX_LENGTH = 12


def new_reference() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def clean(text: str) -> str:
    """What people type for a reference: any case, spaces or dashes inside."""
    return "".join(c for c in text.upper() if c.isalnum())


def looks_like_one(text: str) -> str | None:
    """The reference `text` spells, if it could be one of ours (a search box takes words too)."""
    reference = clean(text)
    return reference if len(reference) == LENGTH and set(reference) <= set(GIVEN) else None


def fold(text: str) -> str | None:
    """What `text` reads as once look-alikes are one character, if it could be a reference typed with some."""
    reference = clean(text)
    if len(reference) != LENGTH or not reference.isascii():
        return None
    return reference.translate(_FOLDED)


def match(typed: str, own: Iterable[str]) -> str | None:
    """Which of the person's `own` references `typed` is: exactly, else the only one it reads as with look-alikes."""
    # Two of their references that read the same (only older ones can) are told apart by an exact match only:
    # guessing between them could tell the status of the wrong case.
    own = tuple(own)
    exact = looks_like_one(typed)
    if exact is not None and exact in own:
        return exact
    folded = fold(typed)
    alike = [reference for reference in own if folded is not None and fold(reference) == folded]
    return alike[0] if len(alike) == 1 else None
