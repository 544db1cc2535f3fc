"""Recorded voice prompts: one file per spoken text and language, named by a key derived from the text.

Twilio has no Bambara voice, so what the voice line says is recorded: `<lang>/<key>.mp3` (or .wav, .ogg) in
VOICE_PROMPTS_DIR, else among the recordings shipped in locales/voice. A key is the text's gettext context as
a slug, a dash and the first 8 hex digits of the SHA-1 of its English msgid: `complaint-description-1a2b3c4d`.
It stays while the English text stays, and changes (the recording is made again) when it changes. A text with
{placeholders} is recorded in parts, the words between them in the order the language writes them (`<key>-1`,
`<key>-2`...): the line speaks the values (a reference, a site's name) between the parts. Letters and digits
(`char-a`, `char-7`) are optional: a reference is otherwise spelt by Twilio's French voice.

French falls back to that voice (`<Say language="fr-FR">`) where a recording is missing; another language is
offered on the voice line only when every one of its prompts is recorded.
"""

import hashlib
import re
import string
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.config import Settings
from bot.engine.flow import FlowSet, Text
from bot.engine.texts import N_
from bot.i18n import Catalogues
from bot.references import GIVEN

EXTENSIONS = {"mp3": "audio/mpeg", "wav": "audio/wav", "ogg": "audio/ogg"}
FALLBACK = "fr"  # the one language of ours Twilio can speak itself
FALLBACK_VOICE = "fr-FR"
# Texts of the engine and the actions that a conversation may say, by context (a flow's own are `<flow>.<state>`);
# the others (keywords, USSD paging, texts sent to staff or later by SMS) are never spoken.
SPOKEN_CONTEXTS = ("hint", "help", "opt-out", "language-name", "status", "assembly", "cost", "voice")
CHARACTERS = "".join(sorted(set(GIVEN) | set(string.digits)))
NAME = re.compile(r"^[a-z0-9-]+\.(mp3|wav|ogg)$")

# What only the voice line says.
PRESS = N_("voice", "Press {key} for {label}.")
WHEN_DONE = N_("voice", "Speak after the beep, then press #.")
YOUR_REFERENCE = N_("voice", "Your reference is {reference}.")
NO_REFERENCE = N_("voice", "You have no reference yet.")
GOODBYE = N_("voice", "We did not hear you. Call again when you wish. Goodbye.")
VOICE_TEXTS = (PRESS, WHEN_DONE, YOUR_REFERENCE, NO_REFERENCE, GOODBYE)


@dataclass(frozen=True)
class Prompt:
    """One recording to make: its language, its file name without extension, and the words it says."""

    language: str
    key: str
    text: str
    optional: bool = False


def key(text: Text) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.context.lower()).strip("-")
    return f"{slug}-{hashlib.sha1(text.msgid.encode()).hexdigest()[:8]}"


def char_key(character: str) -> str:
    return f"char-{character.lower()}"


def pieces(template: str) -> list[tuple[str, str | None]]:
    """A template as (literal words, placeholder name) pairs in order; either may be empty or None."""
    try:
        return [(literal, field) for literal, field, _, _ in string.Formatter().parse(template)]
    except ValueError:  # a stray brace in a translation: the whole text is one recording
        return [(template, None)]


def parts(text: Text, template: str) -> list[tuple[str, str, str | None]]:
    """(recording key, words, placeholder that follows them) for each recorded part of `template`."""
    found = pieces(template)
    if all(field is None for _, field in found):
        return [(key(text), template, None)]
    numbered, index = [], 0
    for literal, field in found:
        if any(character.isalnum() for character in literal):
            index += 1
            numbered.append((f"{key(text)}-{index}", literal.strip(), field))
        else:
            numbered.append(("", literal, field))
    return numbered


def spoken_texts(flows: FlowSet, catalogues: Catalogues) -> list[Text]:
    """Every text the voice line may say: the flows' prompts and options, then the engine's and the actions'."""
    found: dict[Text, None] = {}
    for flow in flows.flows.values():
        for state in flow.states.values():
            found[state.prompt] = None
            found.update((option.label, None) for option in state.options)
    for text in VOICE_TEXTS:
        found[text] = None
    for catalogue in catalogues.translations.values():
        for entry in catalogue._catalog:
            if isinstance(entry, str) and "\x04" in entry:
                context, msgid = entry.split("\x04", 1)
                if context in SPOKEN_CONTEXTS:
                    found[Text(context, msgid)] = None
    return list(found)


class Recordings:
    """The prompt recordings of a deployment, in the folders searched in order."""

    def __init__(self, folders: Sequence[Path], catalogues: Catalogues, flows: FlowSet):
        self.folders = tuple(folders)
        self.catalogues = catalogues
        self.flows = flows
        self._files: dict[str, dict[str, Path]] = {}

    @classmethod
    def configured(cls, settings: Settings, catalogues: Catalogues, flows: FlowSet) -> "Recordings":
        return cls((settings.voice_prompts_dir, settings.locales_dir / "voice"), catalogues, flows)

    def files(self, lang: str) -> dict[str, Path]:
        """Each recorded key of `lang` and its file (the first folder that has it wins)."""
        if lang not in self._files:
            found: dict[str, Path] = {}
            for folder in self.folders:
                directory = folder / lang
                if directory.is_dir():
                    for path in sorted(directory.iterdir()):
                        if NAME.match(path.name):
                            found.setdefault(path.stem, path)
            self._files[lang] = found
        return self._files[lang]

    def file(self, lang: str, name: str) -> Path | None:
        return self.files(lang).get(name)

    def prompts(self, lang: str) -> Iterator[Prompt]:
        """Every recording `lang` needs, then the optional letters and digits."""
        for text in spoken_texts(self.flows, self.catalogues):
            if text.lang and text.lang != lang:
                continue
            if text.context == "language-name" and self.catalogues.translated(lang, text) is None:
                continue
            for name, words, _ in parts(text, self.catalogues.text(lang, text)):
                if name:
                    yield Prompt(lang, name, words)
        for character in CHARACTERS:
            yield Prompt(lang, char_key(character), character, optional=True)

    def missing(self, lang: str) -> list[Prompt]:
        return [prompt for prompt in self.prompts(lang) if not prompt.optional and prompt.key not in self.files(lang)]

    def voiced(self) -> tuple[str, ...]:
        """The languages the voice line offers: French always (Twilio speaks it), another once fully recorded."""
        return tuple(lang for lang in self.catalogues.languages if lang == FALLBACK or not self.missing(lang))

    def coverage(self) -> list[str]:
        """One line per language: how many of its prompts are recorded, and what the voice line offers."""
        offered = ", ".join(self.voiced()) or "none"
        lines = []
        for lang in self.catalogues.languages:
            needed = [prompt for prompt in self.prompts(lang) if not prompt.optional]
            recorded = len(needed) - len(self.missing(lang))
            lines.append(f"{lang}: {recorded} of {len(needed)} voice prompts recorded; the voice line offers {offered}")
        return lines
