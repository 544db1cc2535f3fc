"""Real RQ workers that die: a worker in a process of its own, killed with SIGKILL as a crash would.

`start_worker` forks a real RQ worker over every queue, in burst mode. `kill_worker` SIGKILLs the
worker and the work-horse running its job (RQ puts a work-horse in a session of its own), so RQ has
no chance to record anything: a machine losing power, the OOM killer. `dies_at` makes the first
work-horse that runs a given SQL statement die right before it, with the worker that forked it
(unless that is the test process), or raise instead. Forked processes inherit the hook, so it works
in any worker forked from the test process; the test process itself is never touched.
"""

import multiprocessing
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, event


class InjectedFault(RuntimeError):
    """What a job raises where `dies_at(..., raises=True)` strikes."""


def _work(redis_url: str) -> None:
    from redis import Redis
    from rq import Queue, Worker

    from bot.handover import QUEUES

    redis = Redis.from_url(redis_url)
    Worker([Queue(name, connection=redis) for name in QUEUES], connection=redis).work(burst=True)


def start_worker(redis_url: str) -> multiprocessing.Process:
    """A real forking RQ worker over every queue, in burst mode (it stops when the queues are empty)."""
    process = multiprocessing.get_context("fork").Process(target=_work, args=(redis_url,))
    process.start()
    return process


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        if int(fields[1]) == pid:  # the parent's pid, after the state
            found.append(int(stat.parent.name))
    return found


def kill_worker(process: multiprocessing.Process) -> None:
    """SIGKILL the worker and its work-horse, as a crash would, and reap the worker."""
    horses = _children(process.pid)
    os.kill(process.pid, signal.SIGKILL)
    for horse in horses:
        os.kill(horse, signal.SIGKILL)
    process.join(timeout=10)


@contextmanager
def dies_at(statement: str, marker: Path, raises: bool = False) -> Iterator[None]:
    """The first worker process to run SQL starting with `statement` dies (or raises) right before it.

    Only once, whatever the number of processes: `marker` is created by the one that dies.
    """
    test_pid = os.getpid()
    prefix = statement.upper()

    def before(connection, cursor, sql, parameters, context, executemany):
        if os.getpid() == test_pid or not sql.lstrip().upper().startswith(prefix):
            return
        try:
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return
        if raises:
            raise InjectedFault(f"injected before {statement}")
        if os.getppid() != test_pid:  # the worker that forked this work-horse, unless it is the test
            os.kill(os.getppid(), signal.SIGKILL)
        os.kill(os.getpid(), signal.SIGKILL)

    event.listen(Engine, "before_cursor_execute", before)
    try:
        yield
    finally:
        event.remove(Engine, "before_cursor_execute", before)
