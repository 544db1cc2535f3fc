"""The settings that shape the work, at /admin/settings, read-only, for admins: response-time targets, sending
paces, languages, assemblies, the time zone. They are changed in the server's environment and read at start.

Only the settings named here are shown, each by its environment variable: never a key, token, password or URL,
which a settings page would otherwise spread to every admin's screen and browser history.
"""

from collections.abc import Callable
from dataclasses import dataclass

from babel.numbers import format_decimal
from fastapi import APIRouter
from fastapi.responses import Response

from bot.cases.targets import target
from bot.vocabulary import Kind
from bot.web.deps import AdminDep, StaffPage, StaffPageDep
from bot.web.pages import INTERFACE_LANGUAGES, INTERFACE_NAMES, labeller

router = APIRouter(prefix="/admin/settings")


@dataclass(frozen=True)
class Row:
    """One setting as staff read it: what it is, its value in words, and the variable that sets it."""

    label: str
    value: str
    variable: str


def _plural(value: float) -> int:
    """The count that chooses the plural form: gettext takes whole numbers only (`0.5` reads as many)."""
    return int(value) if value == int(value) else 2


@dataclass(frozen=True)
class Words:
    """Durations and paces in the reader's language."""

    gettext: Callable[[str], str]
    ngettext: Callable[[str, str, int], str]
    lang: str

    def number(self, value: float) -> str:
        """`0,5` in French, `0.5` in English."""
        return format_decimal(value, locale=self.lang)

    def hours(self, count: float) -> str:
        return self.ngettext("%(count)s hour", "%(count)s hours", _plural(count)) % {"count": self.number(count)}

    def days(self, count: float) -> str:
        return self.ngettext("%(count)s day", "%(count)s days", _plural(count)) % {"count": self.number(count)}

    def per_second(self, count: float) -> str:
        return self.gettext("%(count)s per second") % {"count": self.number(count)}


def _words(page: StaffPage) -> Words:
    lang = page.interface.language(page.request)
    catalogue = page.interface.catalogues[lang]
    return Words(catalogue.gettext, catalogue.ngettext, lang)


def _sections(page: StaffPage, words: Words) -> list[tuple[str, list[Row]]]:
    settings, _ = page.runtime.settings, page.gettext
    hours, per_second, label = words.hours, words.per_second, labeller(_)
    catalogues = page.runtime.catalogues
    alphabets = {
        "unicode": _("as written"),
        "gsm": _("GSM-7 (older Bambara spelling, French folded)"),
        "auto": _("per message: as written, or folded to GSM-7 when that needs fewer SMS parts"),
    }
    return [
        (
            _("Sending"),
            [
                Row(_("SMS, per sender"), per_second(settings.sms_per_second), "SMS_PER_SECOND"),
                Row(_("WhatsApp, per sender"), per_second(settings.whatsapp_per_second), "WHATSAPP_PER_SECOND"),
                Row(
                    _("Bulk sends wait during these local hours"),
                    settings.broadcast_quiet_hours or _("never"),
                    "BROADCAST_QUIET_HOURS",
                ),
                Row(
                    _("A bulk drain sends for this long, then lets replies pass"),
                    _("%(count)s s") % {"count": words.number(settings.bulk_slice_seconds)},
                    "BULK_SLICE_SECONDS",
                ),
                Row(_("Provider calls in flight at once"), str(settings.bulk_threads), "BULK_THREADS"),
                Row(_("Tries per message"), str(settings.send_attempts), "SEND_ATTEMPTS"),
                Row(_("SMS goes out through"), settings.sms_provider, "SMS_PROVIDER"),
                Row(_("SMS alphabet"), alphabets[settings.sms_alphabet], "SMS_ALPHABET"),
                Row(_("WhatsApp alphabet"), alphabets[settings.whatsapp_alphabet], "WHATSAPP_ALPHABET"),
                Row(_("USSD alphabet"), alphabets[settings.ussd_alphabet], "USSD_ALPHABET"),
            ],
        ),
        (
            _("Languages and time"),
            [
                Row(
                    _("Languages of the line (the first is the default)"),
                    ", ".join(catalogues.language_name(lang) for lang in settings.languages),
                    "LANGUAGES",
                ),
                Row(
                    _("Languages of these pages"),
                    ", ".join(INTERFACE_NAMES.get(lang, lang) for lang in INTERFACE_LANGUAGES),
                    "",
                ),
                Row(_("Time zone"), settings.timezone, "TIMEZONE"),
                Row(_("Numbers without a country code are read as from"), settings.default_region, "DEFAULT_REGION"),
            ],
        ),
        (
            _("Assemblies"),
            [
                Row(
                    _("Reminders, before an assembly"),
                    ", ".join(hours(count) for count in settings.assembly_reminder_hours) or _("none"),
                    "ASSEMBLY_REMINDER_HOURS",
                ),
                Row(
                    _("ANNULER frees a place for this long after the person was last told"),
                    hours(settings.signup_cancel_hours),
                    "SIGNUP_CANCEL_HOURS",
                ),
            ],
        ),
        (
            _("Confidential reports"),
            [
                Row(
                    _("Focal points must act within"),
                    hours(settings.protection_deadline_hours),
                    "PROTECTION_DEADLINE_HOURS",
                ),
                Row(
                    _("Numbers alerted"),
                    str(len(settings.protection_alert_numbers)),
                    "PROTECTION_ALERT_NUMBERS",
                ),
                Row(
                    _("Alerts go out by"),
                    label("channel", settings.protection_alert_channel),
                    "PROTECTION_ALERT_CHANNEL",
                ),
            ],
        ),
    ]


def _targets(page: StaffPage, words: Words) -> list[dict]:
    """Each kind's targets as the desk meets them; a kind without any (assembly sign-ups) says so."""
    settings = page.runtime.settings
    rows = []
    for kind in Kind:
        wanted = target(settings, kind)
        rows.append(
            {
                "kind": kind.value,
                "acknowledge": words.hours(wanted.acknowledge.total_seconds() / 3600) if wanted else None,
                "resolve": words.days(wanted.resolve.days) if wanted else None,
                "own": kind.value in settings.response_targets,
            }
        )
    return rows


@router.get("")
def settings_page(_admin: AdminDep, page: StaffPageDep) -> Response:
    words, settings = _words(page), page.runtime.settings
    return page.render(
        "settings.html",
        sections=_sections(page, words),
        targets=_targets(page, words),
        defaults={"acknowledge": words.hours(settings.acknowledge_hours), "resolve": words.days(settings.resolve_days)},
    )
