"""Short references people can read out and type back: no 0/O or 1/I/L to confuse."""

import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
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
    return reference if len(reference) == LENGTH and set(reference) <= set(ALPHABET) else None
