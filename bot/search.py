"""Words folded for search: `ecole` finds `école`, `denmisenw` finds `denmisɛnw`, whatever the database.

Texts are stored folded beside the original (`Feedback.search_text`) and searched through the
database's own full-text index (FTS5 on SQLite, a `tsvector` GIN index on PostgreSQL), so a word
that matches nothing costs an index look-up, not a scan of every text.
"""

import re
import unicodedata

# Bambara's own letters are letters, not accented ones: people typing on a basic phone write them
# with the Latin letters nearest to them.
_LETTERS = str.maketrans({"ɛ": "e", "ɔ": "o", "ɲ": "ny", "ŋ": "ng", "œ": "oe", "æ": "ae", "ß": "ss"})
_WORD = re.compile(r"\w+")
MAX_WORDS = 8


def fold(text: str | None) -> str | None:
    """`text` lower-cased, without accents, Bambara letters as their Latin spellings."""
    if text is None:
        return None
    lowered = unicodedata.normalize("NFKD", text.casefold().translate(_LETTERS))
    return "".join(c for c in lowered if not unicodedata.combining(c)).translate(_LETTERS)


def words(query: str) -> list[str]:
    """The folded words of a search, at most MAX_WORDS of them."""
    return _WORD.findall(fold(query) or "")[:MAX_WORDS]
