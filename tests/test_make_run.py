"""`make run` on a machine with no Redis configured: it starts everything, and SIGTERM stops everything."""

import os
import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from bot.config import ROOT

# Settings the test session exported; a newcomer has none of them.
CLEARED = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "PUBLIC_URL")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if (value := predicate()):
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def healthy(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def pids_using(path: Path) -> list[int]:
    """Processes whose command line names `path` (our private Redis)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if str(path).encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_make_run_serves_a_whole_conversation_and_stops_on_sigterm(tmp_path):
    var, port = tmp_path / "var", free_port()
    env = {key: value for key, value in os.environ.items() if key not in CLEARED}
    env.update(VAR_DIR=str(var), PORT=str(port))
    make = subprocess.Popen(
        ["make", "--no-print-directory", "run"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        wait_for(lambda: healthy(f"http://127.0.0.1:{port}/healthz"), 60, "the web service")
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").json() == {"database": "up", "redis": "up"}
        assert (var / "redis.sock").exists() and pids_using(var / "redis.sock")

        conversation = "Bonjour\n1\n1\n1\n2\n2\nIl n'y a plus d'eau au forage\n"
        simulate = subprocess.run(
            [str(ROOT / ".venv/bin/baro"), "simulate", "--phone", "+22370000001"],
            input=conversation, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60,
        )
        assert simulate.returncode == 0, simulate.stderr
        assert "baro> Merci, votre plainte est enregistrée. Référence : " in simulate.stdout

        def intake_done():
            with sqlite3.connect(var / "baro.sqlite3") as db:
                return db.execute("SELECT ready_at FROM feedback").fetchone()
        assert wait_for(lambda: (row := intake_done()) and row[0], 30, "the worker's intake")

        make.send_signal(signal.SIGTERM)
        make.wait(timeout=30)
    finally:
        if make.poll() is None:
            make.kill()
        output = make.stdout.read().decode()
    assert "admin account: admin@baro.local  password: " in output
    assert not healthy(f"http://127.0.0.1:{port}/healthz")
    assert not (var / "redis.sock").exists()
    assert pids_using(var / "redis.sock") == []
