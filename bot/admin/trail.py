"""The audit trail of a case, one line per event, in the reader's language."""

from collections.abc import Callable

from bot.cases import duplicates, lifecycle, protection
from bot.cases.view import Event
from bot.vocabulary import N_

FIELD_LABELS = {"kind": N_("Kind"), "category": N_("Category"), "site": N_("Site"), "tags": N_("Tags")}


def describe(
    event: Event, _: Callable[[str], str], label: Callable[[str, str | None], str], site_names: dict[str, str]
) -> str:
    """What happened, e.g. "Status: New → Acknowledged · the person was told by text message"."""
    detail = event.detail
    match event.action:
        case "status_changed" if detail.get("duplicate_of"):  # bot.cases.duplicates
            text = _("Closed with %(reference)s, of which it is a duplicate") % {"reference": detail["duplicate_of"]}
            if detail.get("message_id"):
                text += " · " + _("the person was told by text message")
            return text
        case duplicates.MARKED:
            return _("Marked as a duplicate of %(reference)s") % {"reference": detail.get("of")}
        case duplicates.UNMARKED:
            return _("No longer a duplicate of %(reference)s") % {"reference": detail.get("of")}
        case duplicates.GAINED:
            return _("%(reference)s marked as a duplicate of this case") % {"reference": detail.get("duplicate")}
        case duplicates.LOST:
            return _("%(reference)s no longer a duplicate of this case") % {"reference": detail.get("duplicate")}
        case "status_changed" | "reopened":
            text = _("Reopened: %(old)s → %(new)s") if event.action == "reopened" else _("Status: %(old)s → %(new)s")
            text %= {"old": label("status", detail.get("from")), "new": label("status", detail.get("to"))}
            if detail.get("outcome"):
                text += " · " + _("What was done: %(outcome)s") % {"outcome": detail["outcome"]}
            if detail.get("message_id"):
                text += " · " + _("the person was told by text message")
            return text
        case "assigned":
            return _("Assigned to %(email)s") % {"email": detail["to"]} if detail.get("to") else _("Unassigned")
        case "coded":
            named = {
                "kind": lambda value: label("kind", value),
                "category": lambda value: label("category", value),
                "site": lambda value: site_names.get(value, value),
                "tags": lambda value: ", ".join(value),
            }
            parts = []
            for name, (old, new) in detail.items():
                show = named.get(name, str)
                before, after = (show(old) if old else "") or "–", (show(new) if new else "") or "–"
                parts.append(f"{_(FIELD_LABELS.get(name, name))}: {before} → {after}")
            return _("Coded") + " · " + "; ".join(parts)
        case "note_added":
            return _("Added a note")
        case "replied":
            return _("Replied by text message")
        case "phone_revealed":
            return _("Showed the phone number")
        case "referred":  # bot.cases.referrals
            text = _("Referred to %(partner)s") % {"partner": detail.get("partner") or "?"}
            if detail.get("message_id"):
                text += " · " + _("the person was told by text message")
            return text
        case "referral_answered":
            return _("Referral to %(partner)s: %(old)s → %(new)s") % {
                "partner": detail.get("partner") or "?",
                "old": label("referral_status", detail.get("from")),
                "new": label("referral_status", detail.get("to")),
            }
        case protection.OVERDUE_ALERTED:
            return _("Overdue: the protection focal points were alerted again")
        case "sent_again":  # bot.cases.sends
            return _("Sent a text message again, which was: %(status)s") % {
                "status": label("message_status", detail.get("was"))
            }
        case lifecycle.READ_ON_PAGE:
            return _("Read the confidential report on its page")
        case lifecycle.READ_IN_EXPORT:
            return _("Exported the confidential report")
        case lifecycle.READ_THROUGH_API:
            return _("Read the confidential report through the API")
    return event.action
