"""What the line says about itself, from the settings: who runs it, what a message costs, a safety line.

The engine knows these as facts of every conversation, on every channel (bot.conversation.conversations),
so a prompt quotes them like any value ({org_name}, {messages_cost}, {safety_line}) and a flow branches on
them: the safety line is shown only where one is configured. Screens are costed with `sample_facts`.
"""

from dataclasses import dataclass
from typing import Any

from bot import samples
from bot.config import Settings
from bot.engine.texts import N_
from bot.i18n import Catalogues

# Translators: in the consent notice, when the operators do not charge people for messages to baro.
FREE = N_("cost", "Messages are free.")
# Translators: in the consent notice, when people pay for a message as for any other SMS. Keep it short.
PAID = N_("cost", "Usual SMS price.")


@dataclass(frozen=True)
class Line:
    """The settings ORG_NAME, MESSAGES_FREE and SAFETY_LINE."""

    org_name: str
    messages_free: bool
    safety_line: str = ""  # empty: none; a flow branching on it shows nothing of it

    @classmethod
    def configured(cls, settings: Settings) -> "Line":
        return cls(settings.org_name, settings.messages_free, settings.safety_line)

    def facts(self) -> dict[str, Any]:
        """As the engine knows them: the cost is a sentence, translated when the notice is written."""
        return {
            "org_name": self.org_name,
            "messages_cost": FREE if self.messages_free else PAID,
            "safety_line": self.safety_line,
        }


def sample_facts(catalogues: Catalogues, lang: str | None) -> dict[str, Any]:
    """The line's facts as long as they may read in `lang` (None: every language), a safety line included."""
    facts = Line(samples.ORG_NAME, messages_free=False, safety_line=samples.SAFETY_LINE).facts()
    return {**facts, "messages_cost": catalogues.longest((FREE, PAID), lang)}
