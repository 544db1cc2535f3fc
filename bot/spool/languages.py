"""The language each person reads, known without the database: for the short answer given while it is down.

A small cache in Redis, fed with every message the conversation handles: the contact's keyed phone
hash (bot/vault.py, never the number) to the language on their contact, forgotten when they erase it
(a refusal of consent) and after a month of silence. While the database is down, the answer is in
that language; for someone it does not know (or with Redis down too) it is in every language, one
line each, like the first screen of the line: most people speak Bambara first, many read French, and
a default language would leave half of them unsure their message arrived.
"""

import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import timedelta
from typing import Self

from redis import Redis
from redis.exceptions import RedisError

from bot.channels.base import Exchange
from bot.conversation.conversations import Handled, Writer
from bot.conversation.inbound import InboundMessage
from bot.engine.flow import Text
from bot.i18n import Catalogues
from bot.notices import RECEIVED
from bot.outbound.gsm7 import prepare
from bot.phones import normalize
from bot.vault import Vault

KEY = "baro:language:{}"
KEPT = timedelta(days=30)
QUIET_SECONDS = 30.0
# What this process told Redis lately is not told again for an hour: a conversation's messages come minutes
# apart, and a Redis round trip per message was most of its Redis time (bench/capacity.py). Another process
# may meanwhile have written a newer language: the notice of an outage is in the older one for that hour.
TOLD_SECONDS = 3600.0
TOLD_AT_MOST = 10_000  # people; about a megabyte


class KnownLanguages:
    def __init__(self, redis: Redis, vault: Vault, region: str):
        self.redis = redis
        self.vault = vault
        self.region = region
        # After a Redis error, leave it alone for a while: every message asks, and an unreachable
        # host costs a whole connect timeout each time.
        self._quiet_until = 0.0
        self._told: OrderedDict[str, tuple[str | None, float]] = OrderedDict()
        self._told_lock = threading.Lock()  # the webhooks' threads share it

    def _available(self) -> bool:
        return time.monotonic() >= self._quiet_until

    def _failed(self) -> None:
        self._quiet_until = time.monotonic() + QUIET_SECONDS

    def remember(self, heard: Iterable[tuple[str, str | None]]) -> None:
        """Note (phone hash, language) pairs; None forgets. Redis being down only costs a less precise answer later."""
        now = time.monotonic()
        with self._told_lock:
            heard = [(h, language) for h, language in heard if not self._told_lately(h, language, now)]
        if not heard or not self._available():
            return
        try:
            with self.redis.pipeline(transaction=False) as pipe:
                for phone_hash, language in heard:
                    if language:
                        pipe.set(KEY.format(phone_hash), language, ex=KEPT)
                    else:
                        pipe.delete(KEY.format(phone_hash))
                pipe.execute()
        except RedisError:
            self._failed()
            return
        with self._told_lock:
            for phone_hash, language in heard:
                self._told[phone_hash] = (language, now)
                self._told.move_to_end(phone_hash)
            while len(self._told) > TOLD_AT_MOST:
                self._told.popitem(last=False)

    def _told_lately(self, phone_hash: str, language: str | None, now: float) -> bool:
        told = self._told.get(phone_hash)
        return told is not None and told[0] == language and now - told[1] < TOLD_SECONDS

    def of(self, sender: str) -> str | None:
        """The language of a sender as a provider wrote it, if known."""
        if not self._available():
            return None
        key = KEY.format(self.vault.lookup_hash(normalize(sender, self.region)))
        try:
            language = self.redis.get(key)
        except RedisError:
            self._failed()
            return None
        return language.decode() if language else None


def received(catalogues: Catalogues, language: str | None, alphabet: str, text: Text = RECEIVED) -> str:
    """The short "received, we will answer soon" in `language`, or in every language when it is not known."""
    languages = (language,) if language in catalogues.languages else catalogues.languages
    return prepare("\n".join(catalogues.text(code, text) for code in languages), alphabet)


@dataclass
class Listening(Exchange):
    """An exchange that notes each speaker's phone hash and language, to remember once the transaction commits."""

    heard: list[tuple[str, str | None]] = field(default_factory=list)

    @classmethod
    def of(cls, exchange: Exchange, **more) -> Self:
        return cls(**{f.name: getattr(exchange, f.name) for f in fields(exchange)}, **more)

    def converse(self, inbound: InboundMessage, fresh: bool = False, write: Writer | None = None) -> Handled:
        handled = super().converse(inbound, fresh, write)
        if handled.speaker is not None:
            self.heard.append(handled.speaker)
        return handled
