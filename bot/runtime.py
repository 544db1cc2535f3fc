"""The long-lived objects of one process, built once from the settings."""

import os
from dataclasses import dataclass
from functools import cached_property
from zoneinfo import ZoneInfo

from redis import Redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.channels.console import ConsoleSender
from bot.channels.gateway import GatewaySender
from bot.channels.twilio import TwilioSender, make_client
from bot.config import Settings, get_settings
from bot.conversation import Conversations
from bot.db import make_engine, make_sessionmaker
from bot.engine.check import check_flows
from bot.engine.flow import load_flows
from bot.handover import Transactions
from bot.i18n import Catalogues
from bot.outbound.pacing import Pacer
from bot.sessions import SessionStore
from bot.vault import Vault


def make_redis(url: str) -> Redis:
    # Short timeouts: a Redis outage must cost a webhook milliseconds, not seconds.
    return Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0, health_check_interval=30)


@dataclass
class Runtime:
    settings: Settings

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database_url)

    @cached_property
    def database(self) -> sessionmaker[Session]:
        """Opens a database session: `with runtime.database() as db`."""
        return make_sessionmaker(self.engine)

    @cached_property
    def redis(self) -> Redis:
        return make_redis(self.settings.redis_url)

    @cached_property
    def catalogues(self) -> Catalogues:
        return Catalogues.load(self.settings.locales_dir, self.settings.languages, ZoneInfo(self.settings.timezone))

    @cached_property
    def conversations(self) -> Conversations:
        self.settings.require_secrets()
        flows = load_flows(self.settings.flows_dir)
        problems = check_flows(flows, self.catalogues, sms_alphabet=self.settings.sms_alphabet)
        if problems:
            raise RuntimeError("flows are broken:\n" + "\n".join(problems))
        return Conversations(
            flows=flows,
            catalogues=self.catalogues,
            vault=self.vault,
            store=SessionStore(self.redis, self.settings.session_ttl_seconds),
            region=self.settings.default_region,
            alphabets={
                "sms": self.settings.sms_alphabet,
                "whatsapp": self.settings.whatsapp_alphabet,
                "ussd": self.settings.ussd_alphabet,
            },
        )

    @cached_property
    def ussd_sessions(self) -> SessionStore:
        """Per USSD session: the text last answered and its pages; short-lived like the session itself."""
        return SessionStore(self.redis, self.settings.ussd_session_seconds)

    @cached_property
    def vault(self) -> Vault:
        self.settings.require_secrets()
        return Vault(self.settings.secret_key)

    @cached_property
    def transactions(self) -> Transactions:
        return Transactions(self.database, self.redis, self.settings)

    @cached_property
    def pacer(self) -> Pacer:
        return Pacer(self.redis)

    @cached_property
    def senders(self) -> dict[str, object]:
        """The provider that sends each outbound channel, as configured."""
        settings = self.settings
        senders: dict[str, object] = {}
        if settings.twilio_account_sid and (settings.twilio_sms_from or settings.twilio_whatsapp_from):
            twilio_sender = TwilioSender(
                make_client(settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_api_url),
                sms_from=settings.twilio_sms_from,
                whatsapp_from=settings.twilio_whatsapp_from,
                template_sid=settings.whatsapp_template_sid,
                status_callback=f"{settings.public_url}/webhooks/twilio/status",
            )
            if settings.twilio_whatsapp_from:
                senders["whatsapp"] = twilio_sender
            if settings.sms_provider == "twilio" and settings.twilio_sms_from:
                senders["sms"] = twilio_sender
        if settings.sms_provider == "gateway" and settings.gateway_url:
            senders["sms"] = GatewaySender(settings.gateway_url, settings.gateway_token)
        if settings.sms_provider == "console":
            console = ConsoleSender(settings.outbox)
            senders.setdefault("whatsapp", console)
            senders["sms"] = console
        return senders

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()
        if "redis" in self.__dict__:
            self.redis.close()


_by_process: dict[int, Runtime] = {}


def get_runtime() -> Runtime:
    """One runtime per process: a forked RQ work-horse must not reuse its parent's connections."""
    pid = os.getpid()
    if pid not in _by_process:
        _by_process[pid] = Runtime(get_settings())
    return _by_process[pid]
