"""baro spread over machines, for tests/test_scale_out.py: two `baro web` and two `baro worker` processes.

Each process is started on its own, as on a machine of its own: its own port, its own VAR_DIR, nothing
shared but the test session's database (SQLite, or PostgreSQL in CI's second pass) and Redis, and the
Twilio double the workers send through. The web processes stand behind a load balancer whose address is
the PUBLIC_URL Twilio signs; each is posted to directly, as the balancer would forward.
"""

import os
import signal
import subprocess
from contextlib import suppress
from pathlib import Path

import httpx
import pytest
from redis import Redis
from rq import Queue, Worker

from bot.handover import QUEUES
from tests.conftest import sign
from tests.real_processes import WEBHOOK, free_port, healthy, parent_of, start_baro, wait_for

# Where Twilio posts: the load balancer in front of the web processes.
BALANCER = "https://line.example.org"


class ScaledOut:
    """`processes` web processes and as many RQ worker processes, started by `start`, all stopped by `stop`."""

    def __init__(self, directory: Path, env: dict[str, str], processes: int = 2):
        self.directory, self.env, self.count = directory, {**env, "PUBLIC_URL": BALANCER}, processes
        self.ports = [free_port() for _ in range(processes)]
        self.webs: list[subprocess.Popen] = []
        self.workers: list[subprocess.Popen] = []

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.ports]

    def _own(self, name: str, **extra: str) -> dict[str, str]:
        """The environment of one process, with a VAR_DIR of its own (another machine's disk)."""
        var = self.directory / name
        var.mkdir(parents=True, exist_ok=True)
        return {**self.env, "VAR_DIR": str(var), **extra}

    def start(self) -> "ScaledOut":
        for n, port in enumerate(self.ports):
            env = self._own(f"web-{n}", PORT=str(port))
            self.webs.append(start_baro("web", env=env, log=self.directory / f"web-{n}.log"))
        for n in range(self.count):
            self.workers.append(
                start_baro("worker", env=self._own(f"worker-{n}"), log=self.directory / f"worker-{n}.log")
            )
        for n, url in enumerate(self.urls):
            wait_for(lambda url=url: self._running() and healthy(f"{url}/healthz"), 60, f"web process {n}")
        wait_for(lambda: self._running() and len(self.rq_workers()) == self.count, 60, f"{self.count} RQ workers")
        return self

    def _running(self) -> bool:
        """True; fails the test at once if a process ended (its port taken meanwhile, a broken start)."""
        if ended := [
            " ".join(process.args[1:]) for process in [*self.webs, *self.workers] if process.poll() is not None
        ]:
            pytest.fail(f"ended while starting: {ended}")
        return True

    def stop(self) -> None:
        for process in [*self.webs, *self.workers]:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def logs(self) -> str:
        return "\n".join(
            f"== {log.name}\n{log.read_text(errors='replace')[-2000:]}" for log in self.directory.glob("*.log")
        )

    def redis(self) -> Redis:
        return Redis.from_url(self.env["REDIS_URL"])

    def idle(self) -> bool:
        """No job waiting in any queue, none running."""
        redis = self.redis()
        waiting = any(Queue(name, connection=redis).count for name in QUEUES)
        return not waiting and all(worker.get_state() != "busy" for worker in Worker.all(connection=redis))

    def rq_workers(self) -> dict[str, int]:
        """Each RQ worker registered in Redis, by name: which of the `baro worker` processes (0, 1) it belongs to."""
        pools = {process.pid: n for n, process in enumerate(self.workers)}
        found = {}
        for worker in Worker.all(connection=self.redis()):
            # `baro worker` is RQ's worker pool: its one worker is a child of the process started here.
            if (parent := parent_of(worker.pid)) in pools:
                found[worker.name] = pools[parent]
        return found


def post_signed(client: httpx.Client, url: str, auth_token: str, form: dict[str, str]) -> httpx.Response:
    """`form` posted to the web process at `url` as the balancer forwards it, signed by Twilio over BALANCER."""
    signature = sign(auth_token, BALANCER + WEBHOOK, form)
    return client.post(url + WEBHOOK, data=form, headers={"X-Twilio-Signature": signature})
