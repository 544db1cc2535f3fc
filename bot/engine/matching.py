"""Forgiving comparison of what people type with what a menu expects."""

import re
import unicodedata

# Older Bambara spelling, and what people type on keyboards without ɛ ɔ ɲ ŋ.
_BAMBARA_FOLD = str.maketrans({"ɛ": "e", "ɔ": "o", "ɲ": "ny", "ŋ": "ng", "ñ": "ny"})
_NUMBERED = re.compile(r"^(\d+)\s*[.)\-:]?$")


def fold(text: str) -> str:
    """Case, accents, Bambara letters and spacing folded away: `  Ɛ́ɲɛ ` and `enye` compare equal."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_BAMBARA_FOLD)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(text.split())


def answer_key(text: str) -> str:
    """What a reply means as a menu answer: `1.`, ` 1)` and `1` all mean `1`."""
    folded = fold(text)
    numbered = _NUMBERED.match(folded)
    return numbered.group(1) if numbered else folded.strip(" .!?")
