"""Gettext catalogues, loaded through Babel, and the rendering of engine replies into text."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from babel.dates import format_datetime
from babel.support import Translations

from bot.engine.flow import Text
from bot.engine.interpreter import Choice, Reply
from bot.engine.matching import answer_key
from bot.engine.texts import (
    CANCEL_KEYWORDS,
    GREETING_WORDS,
    HELP_KEYWORDS,
    LANGUAGE_NAME,
    MAYBE_STOP_KEYWORDS,
    MENU_KEYWORDS,
    START_KEYWORDS,
    STOP_KEYWORDS,
)

DOMAIN = "messages"
_KEYWORDS = {
    "menu": MENU_KEYWORDS,
    "stop": STOP_KEYWORDS,
    "maybe_stop": MAYBE_STOP_KEYWORDS,  # after "stop": a word in both lists stops
    "start": START_KEYWORDS,
    "help": HELP_KEYWORDS,
    "cancel": CANCEL_KEYWORDS,
    "greeting": GREETING_WORDS,
}


class CatalogueMissing(RuntimeError):
    pass


class _Params(dict):
    """Leaves an unknown placeholder visible instead of failing the whole reply."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@dataclass(frozen=True)
class Filled:
    """A text with its own parameters, given as a parameter of another ("Reference X: resolved: <outcome>")."""

    text: Text
    params: Mapping[str, Any]


@dataclass(frozen=True)
class Answer:
    """What to say to a person, not yet written out: the engine's replies, in their language, with the
    values the actions produced for the placeholders. Each channel writes it its own way."""

    replies: tuple[Reply, ...]
    language: str | None  # None before the person has chosen one: the default language
    values: Mapping[str, Any] = field(default_factory=dict)

    def closing(self) -> "Answer":
        """Without the way back to the menu, for a screen the session closes after (a USSD END) and its SMS copy."""
        return replace(self, replies=tuple(reply for reply in self.replies if not reply.way_back))


def _fill(template: str, params: _Params) -> str:
    try:
        return template.format_map(params)
    except (ValueError, IndexError):  # a stray brace in a translation must not cost the person their reply
        return template


@dataclass(frozen=True)
class Catalogues:
    languages: tuple[str, ...]
    translations: dict[str, Translations]
    timezone: tzinfo = UTC
    _spellings: dict[Text, frozenset[str]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def load(cls, locales_dir: Path, languages: list[str], timezone: tzinfo = UTC) -> "Catalogues":
        translations = {}
        for code in languages:
            catalogue = Translations.load(str(locales_dir), [code], domain=DOMAIN)
            if not isinstance(catalogue, Translations):
                raise CatalogueMissing(
                    f"no compiled catalogue for `{code}` in {locales_dir}: run `make locales` (pybabel compile)"
                )
            translations[code] = catalogue
        return cls(tuple(languages), translations, timezone)

    @property
    def default(self) -> str:
        return self.languages[0]

    def text(self, lang: str | None, text: Text) -> str:
        catalogue = self.translations.get(text.lang or lang or self.default) or self.translations[self.default]
        return catalogue.pgettext(text.context, text.msgid)

    def translated(self, lang: str, text: Text) -> str | None:
        """The translation itself, or None where the catalogue has none (gettext would fall back silently)."""
        return self.translations[lang]._catalog.get(f"{text.context}\x04{text.msgid}")

    def spellings(self, text: Text) -> frozenset[str]:
        """The text in every language (only its own, for a text fixed to one language like a language name)."""
        if text not in self._spellings:
            languages = (text.lang,) if text.lang else self.languages
            self._spellings[text] = frozenset(self.text(lang, text) for lang in languages) | (
                frozenset() if text.lang else {text.msgid}
            )
        return self._spellings[text]

    def language_name(self, code: str | None) -> str:
        """A language as its own catalogue names it (Bamanankan, Français); an unknown code as it is."""
        return self.text(code, LANGUAGE_NAME) if code in self.translations else (code or "")

    def language_choices(self) -> tuple[Choice, ...]:
        """The language menu: each language named in itself, by its own catalogue."""
        return tuple(
            Choice(code, Text(LANGUAGE_NAME.context, LANGUAGE_NAME.msgid, lang=code)) for code in self.languages
        )

    def keywords(self) -> dict[str, frozenset[str]]:
        """Every spelling of each keyword in every language, folded for matching."""
        return {
            meaning: frozenset(
                answer_key(word)
                for lang in (*self.languages, None)
                for word in (self.text(lang, text) if lang else text.msgid).split(",")
                if word.strip()
            )
            for meaning, text in _KEYWORDS.items()
        }

    def longest(self, values: Iterable[Any], lang: str | None) -> Any:
        """The value that reads longest in `lang` (in any language, for a screen in every language)."""
        languages = (lang,) if lang else self.languages
        return max(values, key=lambda value: max(len(self.format(value, code)) for code in languages))

    def format(self, value: Any, lang: str | None) -> str:
        """A parameter as the person reads it: dates with the language's month and day names."""
        if isinstance(value, datetime):
            # Full names rather than numbers: easier for people who read little.
            return format_datetime(value, "EEEE d MMMM, HH:mm", tzinfo=self.timezone, locale=lang or self.default)
        if isinstance(value, Text):
            return self.text(lang, value)
        if isinstance(value, Filled):
            return self.fill(lang, value.text, value.params)
        return str(value)

    def fill(self, lang: str | None, text: Text | str, params: Mapping[str, Any]) -> str:
        template = text if isinstance(text, str) else self.text(lang, text)
        return _fill(template, _Params({key: self.format(value, lang) for key, value in params.items()}))

    def write(self, answer: Answer) -> str:
        """An answer as the text a person reads, one reply after another."""
        return "\n".join(self.render(reply, answer.language, answer.values) for reply in answer.replies)

    def render(self, reply: Reply, lang: str | None, extra: Mapping | None = None) -> str:
        """One reply as the text a person reads, in `lang` (or in every language for a language menu)."""
        params = {**reply.params, **(extra or {})}
        languages = self.languages if reply.all_languages else (lang,)
        lines = [self.text(language, reply.hint) for language in languages] if reply.hint else []
        lines.extend(self.fill(language, reply.prompt, params) for language in languages)
        lines.extend(f"{key} {self.fill(lang, label, label_params)}" for key, label, label_params in reply.options)
        return "\n".join(lines)
