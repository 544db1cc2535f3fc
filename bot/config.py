"""One Settings object, read from environment variables and optional env files."""

import os
from functools import lru_cache
from ipaddress import ip_network
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, IPvAnyNetwork, StringConstraints, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot import samples
from bot.outbound import quiet
from bot.vocabulary import Channel, Kind

ROOT = Path(__file__).resolve().parent.parent


def var_dir_from_environment() -> Path:
    """Local state (SQLite file, Redis socket, generated secrets): VAR_DIR, else `var/` at the root.

    Read from the environment of the moment, not when this module was imported: a test suite or a
    `make run` in another directory points VAR_DIR elsewhere after import, and the generated secrets
    file that lives inside it must follow.
    """
    return Path(os.environ.get("VAR_DIR") or ROOT / "var").resolve()


def local_env_file() -> Path:
    """Where `make run` writes generated development secrets; a real `.env` or the environment overrides them."""
    return var_dir_from_environment() / "local.env"


def env_files() -> tuple[Path, ...]:
    """The files settings are read from, under the environment, the later winning: the generated secrets,
    then `.env` at the root, or the file ENV_FILE names (ENV_FILE empty: none, as the test suite sets it)."""
    env_file = os.environ.get("ENV_FILE")
    if env_file is None:
        return (local_env_file(), ROOT / ".env")
    return (local_env_file(), Path(env_file)) if env_file else (local_env_file(),)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file_encoding="utf-8", extra="ignore")

    def __init__(self, **values: Any) -> None:
        # The env files are chosen at each construction, from the environment as it is now (see env_files);
        # `Settings(_env_file=None)` still reads none.
        values.setdefault("_env_file", env_files())
        super().__init__(**values)

    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = ""
    var_dir: Path = Field(default_factory=var_dir_from_environment)
    database_url: str = ""
    redis_url: str = ""
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    secret_key: str = ""
    # What every process logs, on stderr (bot/logs.py): `text` lines for a person, or `json`, one object per line
    # for a log collector; in both, phone numbers and secrets are masked. A new setting whose name ends in
    # `token`, `secret`, `key` or `password` is masked as a secret.
    log_format: Literal["text", "json"] = "text"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    flows_dir: Path = ROOT / "flows"
    locales_dir: Path = ROOT / "locales"
    # Languages are data: adding one is a catalogue plus its code here.
    languages: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["fr", "bm"])
    # Numbers written without a country code are read as Malian.
    default_region: str = "ML"
    # Dates and times people read (assemblies) are in this zone.
    timezone: str = "Africa/Bamako"
    # What the line says about itself (bot/line.py). The consent notice names the organisation that runs it, as
    # people know it (an acronym is best): screens are costed with a name as long as the longest allowed.
    org_name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=len(samples.ORG_NAME))
    ] = "baro"
    # The notice says "Messages are free." only when true (the operators charge people nothing for messages to
    # the line, e.g. a free short code); otherwise that a message costs the usual SMS price.
    messages_free: bool = False
    # A number to call in danger (a hotline, e.g. `80 00 11 15`), offered at the end of a confidential report;
    # empty: none is offered, and nothing is said of it.
    safety_line: Annotated[str, StringConstraints(strip_whitespace=True, max_length=len(samples.SAFETY_LINE))] = ""
    # How text goes out on each channel (bot.outbound.gsm7.prepare): `unicode` as written, `gsm` always
    # folded (older Bambara spelling, French folded) to the cheaper GSM-7 alphabet, or `auto`: per message,
    # as written unless folding needs fewer SMS parts. WhatsApp has no parts to save; USSD pages by
    # characters as written, and folding only lengthens a screen (ɲ→ny): both stay as written.
    sms_alphabet: Literal["unicode", "gsm", "auto"] = "auto"
    # What a whole conversation may cost in SMS parts under SMS_ALPHABET, in every language (the journeys of
    # bot/journeys.py, walked by `baro flows check`): one part per reply, and one more for the reply that says
    # most (a confirmation quoting its reference, an assembly's date, time and place, a status with staff's
    # outcome, a safety line). A new person also reads the language menu and the consent notice: 9 for 7 replies.
    # A returning person whose site is old is asked "still at...?" once more. A JSON object; `{}` checks none
    # (a deployment with flows of its own, which these scripts do not walk).
    conversation_budgets: dict[str, int] = Field(
        default_factory=lambda: {
            "first_complaint": 9,
            "returning_complaint": 5,
            "written_complaint": 5,
            "complaint_site_to_confirm": 6,
            "need": 5,
            "signup": 5,
            "confidential": 6,
            "followup": 4,
        }
    )
    whatsapp_alphabet: Literal["unicode", "gsm", "auto"] = "unicode"
    ussd_alphabet: Literal["unicode", "gsm", "auto"] = "unicode"

    # USSD (Africa's Talking protocol): the callback URL carries ?token=USSD_TOKEN. While it is changed,
    # `new,old`: both are taken until the aggregator calls with the new one (see `ussd_tokens`).
    ussd_token: str = ""
    ussd_session_seconds: int = 300

    # Outbound messages. SMS goes out through Twilio or a local aggregator's HTTP gateway
    # (Twilio has no two-way SMS in Mali); none means USSD confirmations are not sent by SMS.
    # `console` writes what would be sent to var/outbox.jsonl (for `make run`; see `baro simulate`).
    sms_provider: Literal["twilio", "gateway", "console", "none"] = "twilio"
    twilio_sms_from: str = ""
    twilio_whatsapp_from: str = ""
    # Outside WhatsApp's 24-hour window only an approved template may be sent; its one
    # variable {{1}} carries the text.
    whatsapp_template_sid: str = ""
    # Tests point the real SDK at a local double of the Twilio API.
    twilio_api_url: str = "https://api.twilio.com"
    # Files people send (WhatsApp voice notes and photos, call recordings), fetched from TWILIO_API_URL only:
    # the largest kept, and the types taken (`audio/*` takes every audio type), comma-separated.
    media_max_bytes: int = Field(default=16 * 1024 * 1024, ge=1)
    media_types: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["audio/*", "image/jpeg", "image/png", "image/webp"]
    )
    # A file Twilio cannot give after this many tries (a network fault, a 5xx) is marked failed, for staff to see.
    media_fetch_attempts: int = Field(default=8, ge=1)
    # Voice (bot/channels/voice.py). VOICE_CALLBACK: an incoming call is rejected as busy, which costs the caller
    # nothing, and baro calls back from TWILIO_VOICE_FROM (empty: TWILIO_SMS_FROM).
    voice_callback: bool = False
    twilio_voice_from: str = ""
    # Recorded prompts, `<lang>/<key>.mp3|wav|ogg` (`baro voice prompts` lists them); default $VAR_DIR/voice.
    voice_prompts_dir: Path | None = None
    gateway_url: str = ""
    gateway_token: str = ""  # sent as a bearer token to the gateway
    gateway_secret: str = ""  # the gateway sends it with every inbound message
    # Messages per second per sender, shared by all workers (a long code does about 1).
    sms_per_second: float = 1.0
    whatsapp_per_second: float = 10.0
    # Confidential reports: the protection focal points are alerted (on screen and at these
    # numbers, E.164, comma-separated) and must act within the deadline.
    protection_alert_numbers: Annotated[list[str], NoDecode] = Field(default_factory=list)
    protection_alert_channel: Literal[Channel.SMS, Channel.WHATSAPP] = Channel.SMS
    protection_deadline_hours: int = Field(default=24, ge=1)
    # Response-time targets (bot.cases.targets): a case must be acknowledged, then resolved, this soon after
    # it came in; RESPONSE_TARGETS overrides them per kind, e.g. `{"need": {"acknowledge_hours": 24,
    # "resolve_days": 7}}`. Confidential reports are acknowledged within PROTECTION_DEADLINE_HOURS.
    acknowledge_hours: int = Field(default=48, ge=1)
    resolve_days: int = Field(default=14, ge=1)
    response_targets: dict[str, dict[Literal["acknowledge_hours", "resolve_days"], int]] = Field(default_factory=dict)
    send_attempts: int = 5
    send_retry_seconds: list[int] = Field(default_factory=lambda: [10, 60, 300, 900])
    # A send claimed longer ago than this lost its worker: the sweep marks it `unknown` for staff to
    # decide (it may have reached the person). Far longer than a provider's timeout (15 s) plus the
    # wait for a send slot, so a live send is never taken for a dead one.
    send_lease_seconds: int = Field(default=600, ge=60)
    session_ttl_seconds: int = 30 * 60
    # Displaced people move: a remembered site older than this many days is asked about ("still at
    # Sénou?") before the next report; 0: never asked again (it can still be changed from the main menu).
    site_confirm_days: int = Field(default=30, ge=0)
    # Citizen assemblies: reminders go this many hours before (decimals allowed, e.g. `24,2,0.5`).
    assembly_reminder_hours: Annotated[list[float], NoDecode] = Field(default_factory=lambda: [24.0, 2.0])
    # The cancel keyword (ANNULER) frees a place this long after the person was last told of it.
    signup_cancel_hours: float = 24.0
    # Bulk sends (broadcasts, assembly notices) wait outside these local hours, `HH:MM-HH:MM`; empty: never.
    # Replies to people are never held.
    broadcast_quiet_hours: str = "21:00-07:00"
    # The bulk lane (bot.outbound.drain): a channel's drain sends for this long per RQ job, then queues its
    # continuation behind intake and replies; a reply waits at most about this long for a worker.
    bulk_slice_seconds: float = Field(default=1.5, gt=0, le=30)
    # Provider calls a drain has in flight at once, so the pace is not bounded by the provider's latency
    # (80/s at 300 ms each needs 24). Twilio's SDK pools 10 connections per client: more threads than that
    # would open and drop a connection per request beyond them.
    bulk_threads: int = Field(default=10, ge=1, le=256)
    max_body_bytes: int = 64 * 1024
    # Threads per web process for the webhooks' database work. Unset: none on SQLite, which takes one writer at a
    # time: turns run on the event loop, in the order they came and at a peak committed together (bot.turns),
    # and a thread would only fight the loop for the GIL (a message cost 2.8 ms of CPU in a thread, 1.8 ms on the loop:
    # bench/capacity.py). 4 on PostgreSQL, to overlap its round trips: on loopback 2 did as well as 4 and better
    # than 8. 0: on the event loop; with PostgreSQL on the same host it did better still (2.5 ms a message against
    # 3.0-4.0, two processes 531 requests/s against 470), but every round trip then holds the whole process: keep
    # threads for a database on another host.
    webhook_threads: int | None = Field(default=None, ge=0, le=64)
    # A staff form (/admin) past this size is refused unread (413); the longest, a reply or a note, is far less.
    staff_max_body_bytes: int = 64 * 1024
    max_text_chars: int = 4000
    sweep_interval_seconds: int = 60
    # A submission, alert or message younger than this is probably still on its way through the normal
    # path: the sweep leaves it alone.
    sweep_grace_seconds: int = Field(default=30, ge=1)
    # Inbound requests that came while the database was down wait here, encrypted, until it is back
    # (bot/spool); local disk: the web process on this host replays them. Default: $VAR_DIR/spool.
    spool_dir: Path | None = None
    # How often the web process looks for requests to replay.
    spool_flush_seconds: float = 5.0
    # GET /metrics (Prometheus, bot/web/metrics.py) answers a request straight from these networks (comma-separated;
    # empty: none), or one with `Authorization: Bearer METRICS_TOKEN` from anywhere (empty token: none).
    metrics_token: str = ""
    metrics_networks: Annotated[list[IPvAnyNetwork], NoDecode] = Field(
        default_factory=lambda: [ip_network("127.0.0.0/8"), ip_network("::1/128")]
    )
    # Where `baro web` and `baro worker` processes keep their metrics, one file each (bot/metrics.py): a scrape of
    # a web process adds up those of its host. Default: $VAR_DIR/metrics.
    metrics_dir: Path | None = None

    @field_validator("assembly_reminder_hours", mode="before")
    @classmethod
    def _split_hours(cls, value: object) -> object:
        """`ASSEMBLY_REMINDER_HOURS=24,2,0.5`."""
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("broadcast_quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str) -> str:
        """`HH:MM-HH:MM` (may span midnight) or empty: refused at start, not at the first broadcast."""
        quiet.parse(value)
        return value.strip()

    @field_validator("response_targets")
    @classmethod
    def _targets_per_kind(cls, value: dict) -> dict:
        """Refused at start: a misspelt kind would silently keep the defaults."""
        unknown = [kind for kind in value if not Kind.has(kind)]
        if unknown:
            raise ValueError(f"unknown kinds {unknown}: use {[kind.value for kind in Kind]}")
        if any(hours < 1 for targets in value.values() for hours in targets.values()):
            raise ValueError("targets are whole hours or days, at least 1")
        return value

    @field_validator("languages", "protection_alert_numbers", "media_types", "metrics_networks", mode="before")
    @classmethod
    def _split_languages(cls, value: object) -> object:
        """Accept comma-separated lists, e.g. `LANGUAGES=fr,bm,ff`: one line per new language."""
        if isinstance(value, str):
            return [code.strip() for code in value.split(",") if code.strip()]
        return value

    @model_validator(mode="after")
    def _derive_defaults(self) -> "Settings":
        self.public_url = (self.public_url or f"http://127.0.0.1:{self.port}").rstrip("/")
        self.database_url = self.database_url or f"sqlite:///{self.var_dir / 'baro.sqlite3'}"
        self.redis_url = self.redis_url or f"unix://{self.local_redis_socket}"
        self.spool_dir = self.spool_dir or self.var_dir / "spool"
        self.voice_prompts_dir = self.voice_prompts_dir or self.var_dir / "voice"
        self.metrics_dir = self.metrics_dir or self.var_dir / "metrics"
        return self

    def alphabet(self, channel: str) -> str:
        """How text is written on `channel`: `unicode`, `gsm` or `auto` (see bot.outbound.gsm7.prepare)."""
        return getattr(self, f"{channel}_alphabet", "unicode")

    def per_second(self, channel: str) -> float:
        """Sends per second on `channel`, per sender, shared by every worker."""
        return getattr(self, f"{channel}_per_second")

    @property
    def ussd_tokens(self) -> tuple[str, ...]:
        """The tokens a USSD request may carry: USSD_TOKEN's comma-separated values (none: USSD is refused)."""
        return tuple(token for token in (part.strip() for part in self.ussd_token.split(",")) if token)

    @property
    def outbox(self) -> Path:
        return self.var_dir / "outbox.jsonl"

    @property
    def local_redis_socket(self) -> Path:
        """Socket of the Redis that `baro run` manages when REDIS_URL is unset."""
        return self.var_dir / "redis.sock"

    def require_secrets(self) -> None:
        """Fail early, with a fix, when a process that handles personal data lacks its keys."""
        missing = [name for name in ("secret_key", "twilio_auth_token") if not getattr(self, name)]
        if missing:
            names = ", ".join(name.upper() for name in missing)
            raise RuntimeError(f"{names} not set: export it, or run `make run` once to generate local ones.")


@lru_cache
def get_settings() -> Settings:
    return Settings()
