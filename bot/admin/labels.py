"""The staff interface's names for codes (statuses, kinds, channels, categories), in one place."""

from fastapi import Request

from bot.engine.texts import LANGUAGE_NAME


def N_(message: str) -> str:
    """Marks a text for the `admin` catalogue; translated where it is shown."""
    return message


KIND_LABELS = {
    "complaint": N_("Complaint"),
    "need": N_("Need"),
    "confidential": N_("Confidential report"),
    "assembly": N_("Assembly sign-up"),
}
STATUS_LABELS = {
    "new": N_("New"),
    "acknowledged": N_("Acknowledged"),
    "in_progress": N_("In progress"),
    "referred": N_("Referred"),
    "resolved": N_("Resolved"),
    "closed": N_("Closed"),
}
CHANNEL_LABELS = {"sms": N_("SMS"), "whatsapp": N_("WhatsApp"), "ussd": N_("USSD")}
# The categories the flows offer; one they add later shows as its code until it is named here.
CATEGORY_LABELS = {
    "shelter": N_("Shelter"),
    "water_sanitation": N_("Water and sanitation"),
    "health": N_("Health"),
    "food": N_("Food"),
    "security": N_("Security"),
    "documents": N_("Documents"),
    "education": N_("Education"),
    "livelihoods": N_("Work and income"),
    "violence": N_("Violence"),
    "abuse_exploitation": N_("Abuse or exploitation"),
    "threat": N_("Threat"),
    "confirmed": N_("Signed up"),
    "waitlist": N_("Waiting list"),
    "other": N_("Other"),
}


def language_name(request: Request, code: str | None) -> str:
    """A person's language as its own catalogue names it (languages are data, not code)."""
    catalogues = request.app.state.runtime.catalogues
    return catalogues.text(code, LANGUAGE_NAME) if code in catalogues.translations else (code or "")
