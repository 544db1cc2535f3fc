"""baro as production runs it, for the fault suite: real processes a test may kill, and what it counts after.

The web service (`baro web`: gunicorn with two uvicorn workers), RQ's worker pool (`baro worker`, two
workers) and `baro cron` (the sweep every second, for work over 2 s old) run against the test session's
database (SQLite, or PostgreSQL in CI), a private Redis of the test's own, and the local Twilio double.
People text the line as Twilio posts their SMS, signed, one connection per message.
"""

import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import suppress
from pathlib import Path

import httpx
from redis import Redis
from rq import Worker
from sqlalchemy import func, select

from bot.devserver import redis_command
from bot.models import Feedback, Message, ProtectionAlert
from bot.vocabulary import Direction
from tests.real_processes import (
    alive,
    descendants,
    free_port,
    healthy,
    parent_of,
    ping,
    signed_post,
    start_baro,
    wait_for,
)

FOCAL_POINTS = ("+22376000001", "+22376000002")
# Language, consent, main menu, the service, site, category, then the text: a whole complaint.
COMPLAINT = ("Bonjour", "1", "1", "1", "1", "2")
# Language, consent, main menu, confidential report, violence, the text, no call back.
REPORT = ("Bonjour", "1", "1", "4", "1")
NO_CALL_BACK = "3"
# What the pipeline leaves a message in once it is done with it, one way or the other.
SETTLED = ("queued", "sending", "sent", "delivered", "unknown", "failed", "undelivered", "cancelled")


class Deployment:
    """The processes of one deployment, started by `start`, all stopped by `stop`."""

    def __init__(self, directory: Path, env: dict[str, str], database_url: str):
        self.var = directory / "var"
        self.var.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.socket = self.var / "redis.sock"
        self.env = {
            **env,
            "VAR_DIR": str(self.var),
            "REDIS_URL": f"unix://{self.socket}",
            "DATABASE_URL": database_url,
            "PUBLIC_URL": self.url,
            "PORT": str(self.port),
            "SWEEP_INTERVAL_SECONDS": "1",
            "SWEEP_GRACE_SECONDS": "2",
            "SPOOL_FLUSH_SECONDS": "0.5",
            "PROTECTION_ALERT_NUMBERS": ",".join(FOCAL_POINTS),
        }
        self.redis: subprocess.Popen | None = None
        self.processes: dict[str, subprocess.Popen] = {}

    def start_redis(self) -> None:
        """A private Redis that keeps nothing on disk: a restart loses every queued job, as a crash may."""
        self.redis = subprocess.Popen(redis_command(self.var, self.socket, persist=False), start_new_session=True)
        wait_for(lambda: ping(self.socket), 15, "the private Redis")

    def kill_redis(self) -> None:
        self.redis.kill()
        self.redis.wait()

    def start(self) -> "Deployment":
        self.start_redis()
        for name, args in (("web", ("web", "--workers", "2")), ("worker", ("worker", "--processes", "2")),
                           ("cron", ("cron",))):
            self.processes[name] = start_baro(*args, env=self.env, log=self.var / f"{name}.log")
        wait_for(lambda: healthy(f"{self.url}/healthz"), 60, "the web service")
        wait_for(lambda: len(self.rq_workers()) == 2, 60, "two RQ workers")
        return self

    def stop(self) -> None:
        """SIGKILL to everything at once: how each process stops on SIGTERM is tests/test_processes.py's."""
        for process in [*self.processes.values(), *([self.redis] if self.redis else [])]:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def logs(self) -> str:
        return "\n".join(f"== {log.name}\n{log.read_text(errors='replace')[-2000:]}" for log in self.var.glob("*.log"))

    def rq_workers(self) -> list[int]:
        """The pids of the pool's RQ workers (its children; the work-horses are theirs)."""
        pool = self.processes["worker"].pid
        return [pid for pid in descendants(pool) if parent_of(pid) == pool and alive(pid)]

    def kill_a_worker(self) -> bool:
        """SIGKILL an RQ worker and whatever it forked (its job's work-horse), as a crash would: one running a
        job if one does within a second. Whether it was running one."""
        busy = settles(lambda: self._busy_worker() is not None, 1)
        worker = self._busy_worker() if busy else wait_for(self.rq_workers, 30, "an RQ worker")[0]
        for pid in {worker, *descendants(worker)} if worker else ():
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return busy

    def _busy_worker(self) -> int | None:
        connection = Redis(unix_socket_path=str(self.socket), socket_timeout=1)
        mine = set(self.rq_workers())
        busy = (worker.pid for worker in Worker.all(connection=connection) if worker.get_state() == "busy")
        return next((pid for pid in busy if pid in mine), None)

    def text(self, client: httpx.Client, sender: str, body: str) -> str:
        """The reply the person reads, or what went wrong as Twilio would see it."""
        try:
            response = signed_post(client, self.url, self.env["TWILIO_AUTH_TOKEN"], sender, body)
        except httpx.TransportError as error:
            return f"refused ({type(error).__name__})"
        if response.status_code != 200:
            return f"HTTP {response.status_code}"
        return response.text


def settles(predicate: Callable[[], bool], seconds: float) -> bool:
    """Whether `predicate()` becomes true within `seconds` (the test then shows its figures either way)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def interleaved(conversations: Iterable[tuple[str, tuple[str, ...]]]) -> list[tuple[str, str]]:
    """(sender, body) in the order many people texting at once send them: one message of each in turn."""
    pending = [list(messages) for _, messages in conversations]
    senders = [sender for sender, _ in conversations]
    order = []
    while any(pending):
        for sender, messages in zip(senders, pending, strict=True):
            if messages:
                order.append((sender, messages.pop(0)))
    return order


class Count:
    """What the database and the Twilio double say once the dust settles, for the assertions and the note."""

    def __init__(self, runtime, twilio):
        self.runtime, self.twilio = runtime, twilio

    def submissions(self) -> tuple[int, int]:
        """(stored, triage-ready)."""
        with self.runtime.database() as db:
            return db.execute(select(func.count(), func.count(Feedback.ready_at)).select_from(Feedback)).one()

    def texts(self) -> list[str]:
        """Every submission's text (the description the person sent), decrypted where it is sealed."""
        with self.runtime.database() as db:
            return [
                self.runtime.vault.decrypt(feedback.text_encrypted) if feedback.confidential else feedback.text
                for feedback in db.scalars(select(Feedback))
            ]

    def alerts(self) -> tuple[int, int]:
        """(alerts, done)."""
        with self.runtime.database() as db:
            return db.execute(
                select(func.count(), func.count(ProtectionAlert.done_at)).select_from(ProtectionAlert)
            ).one()

    def outbound(self) -> Counter:
        """Messages the pipeline had to send, by status."""
        with self.runtime.database() as db:
            rows = db.execute(
                select(Message.status, func.count())
                .where(Message.direction == Direction.OUT, Message.status != "replied")
                .group_by(Message.status)
            )
            return Counter(dict(rows.all()))

    def settled(self) -> bool:
        outbound = self.outbound()
        return sum(outbound.values()) > 0 and all(status in SETTLED for status in outbound)

    def sent_twice(self) -> list[tuple[str, str]]:
        """What reached Twilio more than once: the same text to the same number."""
        times = Counter((sent.form["To"], sent.form.get("Body", "")) for sent in self.twilio.sent)
        return [key for key, n in times.items() if n > 1]

