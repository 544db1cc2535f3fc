"""One Settings object, read from environment variables and optional env files."""

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.vocabulary import Channel

ROOT = Path(__file__).resolve().parent.parent
# Local state (SQLite file, Redis socket, generated secrets). Read before the
# settings because the generated secrets file lives inside it.
VAR_DIR = Path(os.environ.get("VAR_DIR") or ROOT / "var").resolve()
# `make run` writes generated development secrets here; a real `.env` or the
# environment overrides them.
LOCAL_ENV_FILE = VAR_DIR / "local.env"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=(LOCAL_ENV_FILE, ROOT / ".env"),
        env_file_encoding="utf-8",
        extra="ignore",
    )

    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = ""
    var_dir: Path = VAR_DIR
    database_url: str = ""
    redis_url: str = ""
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    secret_key: str = ""

    flows_dir: Path = ROOT / "flows"
    locales_dir: Path = ROOT / "locales"
    # Languages are data: adding one is a catalogue plus its code here.
    languages: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["fr", "bm"])
    # Numbers written without a country code are read as Malian.
    default_region: str = "ML"
    # Dates and times people read (assemblies) are in this zone.
    timezone: str = "Africa/Bamako"
    # How text goes out on each channel: `unicode` as written, or `gsm` (older Bambara spelling,
    # French folded) so that an SMS stays in the cheaper GSM-7 alphabet.
    sms_alphabet: Literal["unicode", "gsm"] = "unicode"
    whatsapp_alphabet: Literal["unicode", "gsm"] = "unicode"
    ussd_alphabet: Literal["unicode", "gsm"] = "unicode"

    # USSD (Africa's Talking protocol): the callback URL carries ?token=USSD_TOKEN.
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
    protection_deadline_hours: int = 24
    send_attempts: int = 5
    send_retry_seconds: list[int] = Field(default_factory=lambda: [10, 60, 300, 900])
    session_ttl_seconds: int = 30 * 60
    max_body_bytes: int = 64 * 1024
    max_text_chars: int = 4000
    sweep_interval_seconds: int = 60

    @field_validator("languages", "protection_alert_numbers", mode="before")
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
        return self

    def alphabet(self, channel: str) -> str:
        """How text is written on `channel`: `unicode` as written, or `gsm` (see bot.sms)."""
        return getattr(self, f"{channel}_alphabet", "unicode")

    def per_second(self, channel: str) -> float:
        """Sends per second on `channel`, per sender, shared by every worker."""
        return getattr(self, f"{channel}_per_second")

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
