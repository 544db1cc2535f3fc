"""The long-lived objects of one process, built once from the settings."""

import asyncio
import os
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from zoneinfo import ZoneInfo

from redis import Redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot import channels
from bot.actions import ACTIONS, UNITS
from bot.cases.lifecycle import Desk
from bot.channels.base import Exchange
from bot.channels.sms import SMS_PARTS
from bot.config import Settings, get_settings
from bot.conversation.conversations import Conversations
from bot.conversation.state import StateStore
from bot.db import make_engine, make_sessionmaker
from bot.engine.flow import FlowSet
from bot.flows import check
from bot.handover import AfterCommit, Transactions
from bot.i18n import Catalogues
from bot.journeys import Samples, problems
from bot.line import Line
from bot.media.files import MediaRules
from bot.menus import MENUS
from bot.outbound.pacing import Pacer
from bot.outbound.provider import Sender
from bot.screens import screen_problems, screens
from bot.spool.files import Spool
from bot.spool.languages import KnownLanguages
from bot.turns import LoopTurns
from bot.vault import Vault
from bot.vocabulary import Channel


def make_redis(url: str) -> Redis:
    # Short timeouts: a Redis outage must cost a webhook milliseconds, not seconds.
    return Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0, health_check_interval=30)


def check_flows(settings: Settings, catalogues: Catalogues) -> tuple[FlowSet | None, list[str]]:
    """The deployment's flows, and every problem with them: `baro flows check`, and every start."""
    flows, problems = check(settings.flows_dir, catalogues)
    if flows is not None:  # a screen is measured as it reads now, translated or not yet
        rendered = screens(flows, catalogues, UNITS, MENUS)
        problems += screen_problems(flows, rendered, channels.limits(), settings.sms_alphabet)
    return flows, problems


def cost_samples(settings: Settings, catalogues: Catalogues, flows: FlowSet) -> Samples:
    """What the journeys are walked with: sample data, and this line's own facts (bot.journeys)."""
    return Samples(flows, catalogues, ACTIONS, MENUS, Line.configured(settings).facts())


def check_costs(settings: Settings, catalogues: Catalogues, flows: FlowSet) -> list[str]:
    """Conversations over CONVERSATION_BUDGETS and texts of ours over an SMS reply's parts: `baro flows check`.

    Not run at start: a conversation over budget costs more but works, and a deployment's own flows may not
    fit the scripted journeys; neither should keep the line from answering.
    """
    data = cost_samples(settings, catalogues, flows)
    return problems(data, settings.conversation_budgets, settings.sms_alphabet, SMS_PARTS.parts)


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
    def flows(self) -> FlowSet:
        """The checked flows; a process with broken flows fails here, at start, not at the first message."""
        flows, problems = check_flows(self.settings, self.catalogues)
        if problems:
            raise RuntimeError("flows are broken:\n" + "\n".join(problems))
        return flows

    @cached_property
    def conversations(self) -> Conversations:
        self.settings.require_secrets()
        return Conversations(
            flows=self.flows,
            catalogues=self.catalogues,
            vault=self.vault,
            store=StateStore(self.vault, self.settings.session_ttl_seconds),
            region=self.settings.default_region,
            actions=ACTIONS,
            menus=MENUS,
            line=Line.configured(self.settings),
            site_confirm_days=self.settings.site_confirm_days,
            desk=Desk(self.catalogues, self.settings, self.vault),
            media=MediaRules.configured(self.settings),
        )

    @cached_property
    def vault(self) -> Vault:
        self.settings.require_secrets()
        return Vault(self.settings.secret_key)

    @cached_property
    def webhook_threads(self) -> ThreadPoolExecutor | None:
        """Where the webhooks' transactions run off the event loop; None: on it (WEBHOOK_THREADS)."""
        count = self.settings.webhook_threads
        if count is None:
            count = 0 if self.engine.dialect.name == "sqlite" else 4
        return ThreadPoolExecutor(max_workers=count, thread_name_prefix="webhook") if count else None

    @cached_property
    def transactions(self) -> Transactions:
        return Transactions(self.database, self.redis, self.settings)

    @cached_property
    def _loop_turns(self) -> "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LoopTurns]":
        return weakref.WeakKeyDictionary()

    def turns_on_the_loop(self) -> LoopTurns:
        """The turns of the running event loop, where webhooks run theirs without WEBHOOK_THREADS."""
        loop, turns = asyncio.get_running_loop(), self._loop_turns
        return turns.get(loop) or turns.setdefault(loop, LoopTurns(self.engine, self.transactions))

    @cached_property
    def spool(self) -> Spool:
        """Where requests wait, on this host's disk, while the database is down (bot/spool)."""
        return Spool(self.settings.spool_dir, self.vault)

    @cached_property
    def languages(self) -> KnownLanguages:
        """Each person's language, known without the database (bot/spool/languages.py)."""
        return KnownLanguages(self.redis, self.vault, self.settings.default_region)

    @cached_property
    def pacer(self) -> Pacer:
        return Pacer(self.redis)

    @cached_property
    def senders(self) -> dict[Channel, Sender]:
        """The provider that sends each outbound channel, as configured (bot.channels)."""
        return channels.senders(self.settings)

    def exchange(self, db: Session, after: AfterCommit) -> Exchange:
        """What a channel's route may use while it answers one request (see bot.channels.base)."""
        return Exchange(
            db=db,
            after=after,
            settings=self.settings,
            catalogues=self.catalogues,
            conversations=self.conversations,
            vault=self.vault,
            sendable=frozenset(self.senders),
        )

    def close(self) -> None:
        if self.__dict__.get("webhook_threads"):
            self.webhook_threads.shutdown(wait=True)  # what is in flight finishes before its connections go
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
