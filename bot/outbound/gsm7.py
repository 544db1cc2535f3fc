"""SMS cost (GSM-7 or UCS-2, units, parts), folding of a text to the GSM 03.38 alphabet, and the choice
between the two per message (`prepare`): every text baro sends is written through it."""

import unicodedata
from dataclasses import dataclass

# GSM 03.38 default alphabet, in table order (rows of 16; ESC at 0x1B is not a character).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
# Extension table: each is sent as ESC + char, so it costs two septets.
GSM7_EXTENDED = frozenset("\f^{}\\[~]|€")
_GSM7 = GSM7_BASIC | GSM7_EXTENDED

GSM7_SINGLE, GSM7_PART = 160, 153  # a concatenated part loses 7 septets to its header
UCS2_SINGLE, UCS2_PART = 70, 67

# The alphabet settings (SMS_ALPHABET, WHATSAPP_ALPHABET, USSD_ALPHABET): `unicode` sends the text as
# written, `gsm` always folds it, `auto` folds it only when that saves SMS parts (see `cheaper`).
ALPHABETS = ("unicode", "gsm", "auto")

_FOLDS = {
    # Bambara: the older spelling readers already know (capital È and Ò are not in GSM-7).
    "ɛ": "è", "ɔ": "ò", "ɲ": "ny", "ŋ": "ng",
    "Ɛ": "E", "Ɔ": "O", "Ɲ": "Ny", "Ŋ": "Ng",
    # French: the nearest GSM-7 letter, plain rather than with another accent (ê→e, not é).
    "â": "a", "ê": "e", "î": "i", "ô": "o", "û": "u", "ë": "e", "ï": "i", "ç": "c",
    "œ": "oe", "Œ": "OE",
    "Â": "A", "Ê": "E", "Î": "I", "Ô": "O", "Û": "U", "Ë": "E", "Ï": "I",
    "À": "A", "È": "E", "Ù": "U", "Ò": "O", "Ì": "I",
    # Typography that phones and word processors insert on their own.
    "’": "'", "‘": "'", "“": '"', "”": '"', "«": '"', "»": '"',
    "\u00a0": " ", "\u202f": " ", "…": "...", "–": "-", "—": "-",
}


@dataclass(frozen=True)
class SmsCost:
    encoding: str  # "GSM-7" | "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    parts: int
    characters: int  # len(text)


def is_gsm7(text: str) -> bool:
    return _GSM7.issuperset(text)  # every text baro sends is asked: a set's C loop, not a Python one


def cost(text: str) -> SmsCost:
    if is_gsm7(text):
        weights = [2 if ch in GSM7_EXTENDED else 1 for ch in text]
        encoding, single, part = "GSM-7", GSM7_SINGLE, GSM7_PART
    else:
        weights = [2 if ord(ch) > 0xFFFF else 1 for ch in text]  # surrogate pair
        encoding, single, part = "UCS-2", UCS2_SINGLE, UCS2_PART
    return SmsCost(encoding, sum(weights), _parts(weights, single, part), len(text))


def _parts(weights: list[int], single: int, part: int) -> int:
    # Greedy fill: an escape pair or surrogate pair never straddles two parts,
    # so a part may end one unit short and the plain ceil(units / part) undercounts.
    if sum(weights) <= single:
        return 1  # an empty SMS is still one message
    parts, used = 1, 0
    for weight in weights:
        if used + weight > part:
            parts, used = parts + 1, 0
        used += weight
    return parts


def _invisible(ch: str) -> bool:
    # Accents, variation selectors, keycap marks, zero-width joiners, soft hyphens:
    # dropping them loses nothing a reader would see.
    return unicodedata.category(ch) in ("Mn", "Me", "Cf")


def _fold_char(ch: str) -> str:
    if ch in _FOLDS:
        return _FOLDS[ch]
    if ch in _GSM7:
        return ch
    bare = "".join(c for c in unicodedata.normalize("NFKD", ch) if not _invisible(c))
    return bare if is_gsm7(bare) else "?"


def to_gsm(text: str) -> str:
    # NFC first, so that a decomposed "e" + U+0301 stays the GSM-7 "é" instead of losing its accent.
    return "".join(_fold_char(ch) for ch in unicodedata.normalize("NFC", text))


def folds_faithfully(text: str) -> bool:
    """Whether every character of `text` has a GSM-7 spelling (folding turns none into "?")."""
    return all(ch == "?" or _fold_char(ch) != "?" for ch in unicodedata.normalize("NFC", text))


def cheaper(text: str) -> str:
    """`text` as written (ɛ ɔ ɲ ŋ kept) unless its folded spelling (è ò ny ng) needs fewer SMS parts."""
    # Never folded when a letter would become "?": a language with letters of its own beyond the fold
    # table (Fulfulde's ɓ ɗ ƴ) pays UCS-2 rather than become unreadable.
    if is_gsm7(text) or not folds_faithfully(text):
        return text
    folded = to_gsm(text)
    return text if cost(text).parts <= cost(folded).parts else folded


def prepare(text: str, alphabet: str) -> str:
    """`text` as it goes out under the alphabet setting `alphabet` (one of ALPHABETS)."""
    if alphabet == "unicode":
        return text
    if alphabet == "gsm":
        return to_gsm(text)
    if alphabet == "auto":
        return cheaper(text)
    raise ValueError(f"unknown alphabet {alphabet!r}; expected one of {ALPHABETS}")
