"""Who a broadcast reaches: the audience organizers choose, the people in it, who is left out and why, the cost.

An audience narrows "everyone who consented" by site, language, the channel they last wrote from, and
sign-up to an assembly; an empty field does not narrow. Of the people it holds, some are never sent
anything: those who opted out, those who did not (or no longer) consent, WhatsApp people outside the
24-hour window when no approved template may carry the text, and the protection focal points' numbers
(they receive alerts about confidential reports, never a broadcast).
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cases.lifecycle import Refused
from bot.config import Settings
from bot.models import Assembly, Contact, Signup, Site, utcnow
from bot.outbound.gsm7 import cost, prepare
from bot.outbound.store import WHATSAPP_WINDOW
from bot.phones import normalize
from bot.vault import Vault
from bot.vocabulary import N_, Channel, Consent, SignupStatus

# Why someone the audience holds is not sent the broadcast (Broadcast.left_out, the preview's left_out).
OPTED_OUT, NO_CONSENT, OUTSIDE_WINDOW, PROTECTION = "opted_out", "no_consent", "outside_whatsapp_window", "protection"
LEFT_OUT = (OPTED_OUT, NO_CONSENT, OUTSIDE_WINDOW, PROTECTION)
# The sign-ups whose people an assembly audience reaches: everyone still expected, or on the waiting list.
SIGNED_UP = (SignupStatus.CONFIRMED, SignupStatus.ATTENDED, SignupStatus.WAITING)
OUTBOUND = (Channel.SMS, Channel.WHATSAPP)
# A list in an audience longer than this is not a choice anyone made (there are a handful of sites).
MAX_ITEMS = 100


@dataclass(frozen=True)
class Audience:
    """Who a broadcast is for; an empty field does not narrow (everyone who consented)."""

    sites: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    assembly: int | None = None

    @classmethod
    def from_json(cls, data: dict, db: Session | None = None, settings: Settings | None = None) -> "Audience":
        """Read an audience as the API and the form send it; Refused (an `admin` msgid) when it is not one.

        Shapes and channels are checked here; site slugs, languages and the assembly against `db` and
        `settings` when given (preview and create_broadcast always check them with `check`).
        """
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise Refused(N_("The audience must be an object with sites, languages, channels and assembly."))
        unknown = sorted(set(data) - {"sites", "languages", "channels", "assembly"})
        if unknown:
            raise Refused(N_("Unknown audience field “%(field)s”."), {"field": str(unknown[0])[:40]})
        sites = _strings(data.get("sites"), N_("The audience's sites must be a list of site names."))
        languages = _strings(data.get("languages"), N_("The audience's languages must be a list of language codes."))
        channels = _strings(data.get("channels"), N_("The audience's channels must be a list of channels."))
        for channel in channels:
            if not Channel.has(channel):
                raise Refused(N_("Unknown channel “%(channel)s”."), {"channel": channel[:40]})
        assembly = data.get("assembly")
        if assembly is not None and (isinstance(assembly, bool) or not isinstance(assembly, int) or assembly < 1):
            raise Refused(N_("The audience's assembly must be an assembly's number."))
        audience = cls(sites, languages, channels, assembly)
        if db is not None or settings is not None:
            audience.check(db, settings)
        return audience

    def to_json(self) -> dict:
        """As stored in Broadcast.audience and shown by the API."""
        return {
            "sites": list(self.sites),
            "languages": list(self.languages),
            "channels": list(self.channels),
            "assembly": self.assembly,
        }

    def check(self, db: Session | None, settings: Settings | None) -> None:
        """Refused if a site, language or assembly it names does not exist."""
        if settings is not None:
            for language in self.languages:
                if language not in settings.languages:
                    raise Refused(N_("Unknown language “%(language)s”."), {"language": language[:40]})
        if db is None:
            return
        if self.sites:
            known = set(db.scalars(select(Site.slug).where(Site.slug.in_(self.sites))))
            for slug in self.sites:
                if slug not in known:
                    raise Refused(N_("Unknown site “%(site)s”."), {"site": slug[:40]})
        if self.assembly is not None and db.get(Assembly, self.assembly) is None:
            raise Refused(N_("Unknown assembly number %(assembly)s."), {"assembly": str(self.assembly)})


def _strings(value: object, message: str) -> tuple[str, ...]:
    """A list of distinct non-empty strings, in order; Refused otherwise."""
    if value is None:
        return ()
    if not isinstance(value, list | tuple) or len(value) > MAX_ITEMS:
        raise Refused(message)
    if not all(isinstance(item, str) and item.strip() for item in value):
        raise Refused(message)
    return tuple(dict.fromkeys(item.strip() for item in value))


@dataclass(frozen=True)
class Recipient:
    """One person a broadcast reaches: where their text goes and in which language."""

    contact_id: int
    channel: Channel  # outbound: a USSD person is texted by SMS
    language: str


@dataclass
class Reach:
    """The people an audience reaches, and how many it holds that it does not, by reason."""

    recipients: list[Recipient] = field(default_factory=list)
    left_out: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LEFT_OUT, 0))


@dataclass(frozen=True)
class LanguageCost:
    """What one language's text costs: its recipients, and its SMS encoding and parts."""

    language: str
    recipients: int
    sms_recipients: int
    encoding: str  # "GSM-7" | "UCS-2", as the SMS is written (SMS_ALPHABET)
    parts: int  # per SMS
    total_parts: int  # parts × SMS recipients


@dataclass(frozen=True)
class Preview:
    """What a broadcast would do, before it is sent: reach per channel, cost per language, who is left out."""

    reach: dict[str, int]  # recipients per outbound channel: sms, whatsapp
    total: int
    languages: list[LanguageCost]
    total_parts: int  # the SMS parts all of it costs
    left_out: dict[str, int]  # opted_out, no_consent, outside_whatsapp_window, protection


def language_of(contact_language: str | None, settings: Settings) -> str:
    """The language a person is written to in: theirs if configured, else the default language."""
    return contact_language if contact_language in settings.languages else settings.languages[0]


def text_for(texts: dict[str, str], language: str, settings: Settings) -> str:
    """A person's text: their language's, else the default language's."""
    return texts.get(language) or texts[settings.languages[0]]


def protection_hashes(settings: Settings) -> set[str]:
    """The lookup hashes of the protection focal points' numbers: never part of any audience."""
    if not settings.protection_alert_numbers:
        return set()
    vault = Vault(settings.secret_key)
    hashes = set()
    for number in settings.protection_alert_numbers:
        try:
            hashes.add(vault.lookup_hash(normalize(number, settings.default_region)))
        except ValueError:
            continue  # a number that cannot be read reaches nobody either
    return hashes


def reach(db: Session, settings: Settings, audience: Audience, now: datetime | None = None) -> Reach:
    """Everyone the audience holds, each either a recipient or counted under the reason they are left out.

    One query over the narrowed contacts; the rest in Python (100,000 rows in well under a second), so
    the preview and the plan share one definition of who gets the text.
    """
    now = now or utcnow()
    query = select(
        Contact.id,
        Contact.phone_hash,
        Contact.phone_encrypted.is_not(None),
        Contact.consent,
        Contact.opted_out_at,
        Contact.language,
        Contact.channel,
        Contact.whatsapp_seen_at,
    ).order_by(Contact.id)
    if audience.sites:
        query = query.join(Site, Site.id == Contact.site_id).where(Site.slug.in_(audience.sites))
    if audience.assembly is not None:
        signed_up = select(Signup.contact_id).where(
            Signup.assembly_id == audience.assembly, Signup.status.in_(SIGNED_UP)
        )
        query = query.where(Contact.id.in_(signed_up))
    default = settings.languages[0]
    wanted_languages = set(audience.languages)
    wanted_channels = set(audience.channels)
    no_template = not settings.whatsapp_template_sid
    shielded = protection_hashes(settings)
    result = Reach()
    left = result.left_out
    for contact_id, phone_hash, has_phone, consent, opted_out_at, language, channel, seen_at in db.execute(query):
        language = language if language in settings.languages else default
        channel = Channel(channel) if Channel.has(channel) else Channel.SMS  # never wrote since: by SMS
        if wanted_languages and language not in wanted_languages:
            continue
        if wanted_channels and channel not in wanted_channels:
            continue
        if phone_hash in shielded:
            left[PROTECTION] += 1
        elif opted_out_at is not None:
            left[OPTED_OUT] += 1
        elif consent != Consent.ACCEPTED or not has_phone:
            left[NO_CONSENT] += 1
        elif channel == Channel.WHATSAPP and no_template and (seen_at is None or now - seen_at >= WHATSAPP_WINDOW):
            left[OUTSIDE_WINDOW] += 1
        else:
            result.recipients.append(Recipient(contact_id, channel.outbound, language))
    return result


def costs(settings: Settings, recipients: list[Recipient], texts: dict[str, str]) -> list[LanguageCost]:
    """Each configured language's recipients and SMS cost, its text written in the SMS alphabet."""
    people = Counter(recipient.language for recipient in recipients)
    sms = Counter(recipient.language for recipient in recipients if recipient.channel == Channel.SMS)
    result = []
    for language in settings.languages:
        if not (texts.get(language) or people[language]):
            continue  # neither written in nor needed
        sms_cost = cost(prepare(text_for(texts, language, settings), settings.alphabet("sms")))
        result.append(
            LanguageCost(
                language,
                people[language],
                sms[language],
                sms_cost.encoding,
                sms_cost.parts,
                sms_cost.parts * sms[language],
            )
        )
    return result


def preview(db: Session, settings: Settings, audience: Audience, texts: dict[str, str]) -> Preview:
    """What sending `texts` to `audience` would do now: reach, cost and who is left out (nothing is stored)."""
    audience.check(db, settings)
    if not (texts or {}).get(settings.languages[0]):
        texts = {**(texts or {}), settings.languages[0]: ""}  # the cost of nothing yet: one part
    found = reach(db, settings, audience)
    per_channel = Counter(recipient.channel.value for recipient in found.recipients)
    languages = costs(settings, found.recipients, texts)
    return Preview(
        reach={channel.value: per_channel[channel.value] for channel in OUTBOUND},
        total=len(found.recipients),
        languages=languages,
        total_parts=sum(language.total_parts for language in languages),
        left_out=found.left_out,
    )
