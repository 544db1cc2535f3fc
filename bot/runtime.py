"""The long-lived objects of one process, built once from the settings."""

import os
from dataclasses import dataclass
from functools import cached_property
from zoneinfo import ZoneInfo

from redis import Redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings, get_settings
from bot.conversation import Conversations
from bot.db import make_engine, make_sessionmaker
from bot.engine.check import check_flows
from bot.engine.flow import load_flows
from bot.i18n import Catalogues
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
    def sessions(self) -> sessionmaker[Session]:
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
            vault=Vault(self.settings.secret_key),
            store=SessionStore(self.redis, self.settings.session_ttl_seconds),
            region=self.settings.default_region,
            alphabets={"sms": self.settings.sms_alphabet, "whatsapp": self.settings.whatsapp_alphabet},
        )

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
