"""What staff write about a confidential report is as confidential as the report: sealed at rest.

Notes, the outcome, tags and the trail's details of a confidential report are kept only encrypted,
in a column beside the clear one (which stays empty), and opened only for those who may read the
report. Everything else is kept in clear, so that it can be searched and counted.
"""

import json
from typing import Any

from cryptography.fernet import InvalidToken

from bot.models import Feedback
from bot.vault import Vault


def seal(vault: Vault, feedback: Feedback, value: Any) -> tuple[Any, str | None]:
    """(clear, encrypted) to store `value` about `feedback`: one of them is None."""
    if not feedback.confidential or value is None:
        return value, None
    return None, vault.encrypt(json.dumps(value, ensure_ascii=False))


def unseal(vault: Vault, clear: Any, sealed: str | None) -> Any:
    """The value as written, from whichever column holds it (None if it cannot be opened)."""
    if sealed is None:
        return clear
    try:
        return json.loads(vault.decrypt(sealed))
    except InvalidToken:
        return None


def tags_of(feedback: Feedback, vault: Vault) -> list[str]:
    return unseal(vault, feedback.tags, feedback.tags_encrypted) or []


def outcome_of(feedback: Feedback, vault: Vault) -> str | None:
    return unseal(vault, feedback.outcome, feedback.outcome_encrypted)
