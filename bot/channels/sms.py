"""SMS as the SMS adapters (Twilio, a local gateway, the console) write it: the parts a screen may cost."""

from dataclasses import dataclass

from bot.screens import Costing, Screen


@dataclass(frozen=True)
class SmsParts:
    """An SMS reply needing more parts than this costs too much, and arrives in pieces on older phones."""

    parts: int = 2

    def summary(self) -> str:
        return f"an SMS reply should need at most {self.parts} parts"

    def problem(self, screen: Screen, alphabet: str) -> str | None:
        sms = Costing.of(screen, alphabet)
        if sms.parts <= self.parts:
            return None
        return f"the `{screen.language}` screen needs {sms.parts} SMS parts ({sms.encoding}), over {self.parts}"

    def note(self, screen: Screen, alphabet: str) -> str | None:
        return f"over {self.parts} parts ({alphabet})" if Costing.of(screen, alphabet).parts > self.parts else None


SMS_PARTS = SmsParts()
