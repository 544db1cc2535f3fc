"""The webhooks' turns on the event loop (SQLite's default, WEBHOOK_THREADS=0): in order, and at a peak committed
together.

One turn at a time, in the order the requests were read, and the loop reads what came in between: a request
read late is not answered before those that waited (asyncio's lock is fair).

Each turn runs in a savepoint of a transaction it may share. While BACKLOG requests or more wait for their
turn (a peak), the transaction stays open for them, up to SHARED_SECONDS, and one commit keeps them all: a
commit, its pages written to SQLite's WAL, and a transaction's begin cost a third of a turn
(`bench/turn_cpu.py --at-once 16`: 1.4 ms a message against 2.2). Below that, each turn commits at once, so
that a quiet line answers each message as soon as it is kept. No answer leaves before the commit that keeps
it; a turn that fails is undone alone; a commit that fails fails every turn it held (the spool keeps them).

A transaction waits for SQLite's write lock, while another web process holds it, with the loop going on
(`write_lock`): SQLite's own wait would stop the whole process (two processes at a peak: up to 3 s a request).
"""

import asyncio
import sqlite3
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from bot.db import SQLITE_BUSY_SECONDS
from bot.handover import AfterCommit, Transactions
from bot.prepared import run_sql

T = TypeVar("T")

# Requests waiting behind a turn from which their turns share its transaction: a queue that long already
# costs its last request more than sharing adds (bench/capacity.py, moderate load: each turn commits alone).
BACKLOG = 4
# How long turns may keep joining a transaction: the first one's answer waits for its commit.
SHARED_SECONDS = 0.02
# How often a turn looks again for SQLite's write lock while another process holds it. The other process's
# transactions leave the lock free for moments only, so waiting long between looks would rarely find it free.
LOCK_POLL_SECONDS = 0.001


async def write_lock(connection: Connection) -> None:
    """SQLite's write lock for `connection`'s transaction (BEGIN IMMEDIATE, as bot.db.write_transaction), the loop
    going on while another process holds it.

    SQLite's own wait (its busy timeout) would hold the whole process, sleeping longer at each try: with two web
    processes at a peak, a request then waited up to 3 s. Gives up, as that wait would, after SQLITE_BUSY_SECONDS.
    """
    deadline = time.monotonic() + SQLITE_BUSY_SECONDS
    run_sql(connection, "PRAGMA busy_timeout = 0")
    try:
        while True:
            try:
                run_sql(connection, "BEGIN IMMEDIATE")
                return
            except OperationalError as error:
                busy = getattr(error.orig, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY
                if not busy or time.monotonic() >= deadline:
                    raise
            await asyncio.sleep(LOCK_POLL_SECONDS)
    finally:
        run_sql(connection, f"PRAGMA busy_timeout = {SQLITE_BUSY_SECONDS * 1000}")


class SharedTransaction(Generic[T]):
    """Turns run one after the other in one transaction; their outcomes given once it has committed."""

    def __init__(self, connection: Connection, transactions: Transactions):
        self.connection, self.transactions = connection, transactions
        self.transaction = connection.begin()
        self.started = time.monotonic()
        self.outcomes: list[tuple[asyncio.Future, tuple[T, AfterCommit]]] = []

    @classmethod
    async def begin(cls, engine: Engine, transactions: Transactions) -> "SharedTransaction[T]":
        """A transaction begun, holding SQLite's write lock."""
        connection = engine.connect()
        try:
            shared = cls(connection, transactions)
            if engine.dialect.name == "sqlite":
                await write_lock(connection)
            shared.started = time.monotonic()  # its turns may join from now, not from when it waited
            return shared
        except BaseException:
            connection.close()
            raise

    def add(self, work: Callable[[Session, AfterCommit], T]) -> asyncio.Future:
        """`work` run now, in a savepoint; a future of its result and jobs, set once they are committed."""
        done = asyncio.get_running_loop().create_future()
        try:
            outcome = self.transactions.run_in(self.connection, work)
        except Exception as error:  # undone with its savepoint: the others go on
            done.set_exception(error)
        else:
            self.outcomes.append((done, outcome))
        return done

    @property
    def old(self) -> bool:
        return time.monotonic() - self.started >= SHARED_SECONDS

    def commit(self) -> None:
        """Commit, and give each turn its outcome, or the commit's error."""
        try:
            self.transaction.commit()
        except Exception as error:
            for done, _ in self.outcomes:
                done.set_exception(error)
        else:
            for done, outcome in self.outcomes:
                done.set_result(outcome)
        finally:
            self.connection.close()


class LoopTurns(Generic[T]):
    """The turns of one event loop."""

    def __init__(self, engine: Engine, transactions: Transactions):
        self.engine, self.transactions = engine, transactions
        self.gate = asyncio.Lock()
        self.waiting = 0  # requests waiting at the gate
        self.shared: SharedTransaction[T] | None = None

    async def run(self, work: Callable[[Session, AfterCommit], T]) -> T:
        """`work` run in its turn; its result once it is committed and its jobs handed to RQ."""
        self.waiting += 1
        try:
            await self.gate.acquire()
        except BaseException:  # cancelled while waiting: the transaction left open for it is committed
            self.waiting -= 1
            if not self.gate.locked():
                self._commit()
            raise
        self.waiting -= 1
        try:
            shared = self.shared = self.shared or await SharedTransaction.begin(self.engine, self.transactions)
            done = shared.add(work)
            try:
                await asyncio.sleep(0)  # the loop reads what came meanwhile before the next turn
            finally:
                if self.waiting < BACKLOG or shared.old:
                    self._commit()
        finally:
            self.gate.release()
        result, after = await done
        self.transactions.hand_over(after)
        return result

    def _commit(self) -> None:
        shared, self.shared = self.shared, None
        if shared is not None:
            shared.commit()
