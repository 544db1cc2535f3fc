"""Helpers for tests that start real processes (`make run`, `baro web|worker|cron`) and kill them."""

import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry
from twilio.request_validator import RequestValidator

from bot.config import ROOT
from bot.devserver import redis_command

BARO = str(ROOT / ".venv" / "bin" / "baro")
WEBHOOK = "/webhooks/twilio/messaging"
# A whole complaint from a first message: language, consent, main menu, the service, its questions, the text.
COMPLAINT = ("Bonjour", "1", "1", "1", "2", "2", "Il n'y a plus d'eau au forage")

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate: Callable[[], T], seconds: float, what: str) -> T:
    """Poll until `predicate()` is truthy; its value. Fails the test naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out after {seconds} s waiting for {what}")


def healthy(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def alive(pid: int) -> bool:
    """Running (a zombie, dead but not yet reaped by its parent, is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def _parents() -> dict[int, int]:
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with suppress(OSError):
                found[int(entry.name)] = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
    return found


def descendants(pid: int) -> set[int]:
    """Every process started under `pid`, at any depth."""
    parents, found, frontier = _parents(), set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def parent_of(pid: int) -> int:
    return _parents().get(pid, 0)


def pids_using(text: str | Path) -> list[int]:
    """Processes whose command line names `text` (e.g. a private Redis's socket)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with suppress(OSError):
                if str(text).encode() in (entry / "cmdline").read_bytes() and alive(int(entry.name)):
                    found.append(int(entry.name))
    return found


def ping(redis_socket: Path) -> bool:
    with suppress(RedisError, OSError):
        return Redis(unix_socket_path=str(redis_socket), socket_timeout=0.5, retry=Retry(NoBackoff(), 0)).ping()
    return False


def stop(process: subprocess.Popen, seconds: float = 20) -> None:
    """Whatever a test left running: SIGTERM, then SIGKILL to its process group."""
    if process.poll() is None:
        process.terminate()
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=seconds)
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


@contextmanager
def redis_server(var_dir: Path) -> Iterator[subprocess.Popen]:
    """A private Redis on `var_dir/redis.sock` that a test may kill; gone at the end in any case."""
    var_dir.mkdir(parents=True, exist_ok=True)
    socket_path = var_dir / "redis.sock"
    process = subprocess.Popen(redis_command(var_dir, socket_path, persist=False), start_new_session=True)
    try:
        wait_for(lambda: ping(socket_path), 15, "a private Redis")
        yield process
    finally:
        stop(process)


def start_baro(*args: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    """`baro ARGS` in its own process group (so a test can clean up all it started), output to `log`."""
    with open(log, "wb") as out:
        return subprocess.Popen(
            [BARO, *args], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def ends_within(process: subprocess.Popen, seconds: float) -> float | None:
    """Seconds `process` took to end, or None if it still runs after `seconds`."""
    started = time.monotonic()
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=seconds)
        return time.monotonic() - started
    return None


def signed_post(client: httpx.Client, base_url: str, auth_token: str, sender: str, body: str) -> httpx.Response:
    """One inbound SMS as Twilio posts it, signed."""
    url = base_url + WEBHOOK
    form = {
        "MessageSid": f"SM{uuid.uuid4().hex}",
        "AccountSid": "AC" + "0" * 32,
        "From": sender,
        "To": "+22320000000",
        "NumMedia": "0",
        "Body": body,
    }
    signature = RequestValidator(auth_token).compute_signature(url, form)
    return client.post(url, data=form, headers={"X-Twilio-Signature": signature})
