"""`make run` on a machine with no Redis configured: it starts everything under supervision, a process that
dies is started again while the others serve, and SIGTERM or Ctrl-C stops everything it started.

Under honcho a worker's exit took the web server down with it, and Twilio does not retry a refused SMS
(issue 9, item 8): 119 of 200 messages were refused in the issue's test, 157 of 200 in the burst below.
"""

import os
import signal
import sqlite3
import subprocess
from pathlib import Path

import httpx
import pytest
from redis import Redis
from redis.exceptions import RedisError
from rq import Worker

from bot.config import ROOT
from tests.real_processes import (
    BARO,
    COMPLAINT,
    alive,
    descendants,
    ends_within,
    free_port,
    healthy,
    parent_of,
    pids_using,
    ping,
    signed_post,
    stop,
    wait_for,
)

# Settings the test session exported; a newcomer has none of them. (VAR_DIR is set to the test's own, and
# ENV_FILE stays empty: the checkout's `.env` is the developer's.)
# `make run` is a newcomer's machine: its own SQLite under var/, whatever TEST_DATABASE_URL says. The
# PostgreSQL pass of CI would run the very same thing again, for two minutes.
pytestmark = pytest.mark.skipif(
    bool(os.environ.get("TEST_DATABASE_URL")), reason="`make run` uses its own SQLite: the SQLite pass runs it"
)

CLEARED = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "PUBLIC_URL")
MESSAGES = 200


class MakeRun:
    """`make run` in the background, in a directory of its own, on a free port; its output in a file."""

    def __init__(self, directory: Path, **settings: str):
        self.var, self.port, self.log = directory / "var", free_port(), directory / "make-run.log"
        self.url = f"http://127.0.0.1:{self.port}"
        env = {key: value for key, value in os.environ.items() if key not in CLEARED}
        env.update(VAR_DIR=str(self.var), PORT=str(self.port), **settings)
        self.env = env
        with open(self.log, "wb") as out:
            # A session of its own, like a terminal's foreground job: Ctrl-C is a SIGINT to the whole group.
            self.make = subprocess.Popen(
                ["make", "--no-print-directory", "run"], cwd=ROOT, env=env,
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_until_serving(self) -> None:
        if not healthy(f"{self.url}/healthz"):
            wait_for(lambda: healthy(f"{self.url}/healthz") or self.make.poll() is not None, 120, "the web service")
        assert self.make.poll() is None, self.output()[-3000:]

    def auth_token(self) -> str:
        lines = (self.var / "local.env").read_text().splitlines()
        return next(line.partition("=")[2] for line in lines if line.startswith("TWILIO_AUTH_TOKEN="))

    def redis(self) -> Redis:
        return Redis(unix_socket_path=str(self.var / "redis.sock"), socket_timeout=2)

    def rq_workers(self) -> list[Worker]:
        try:
            return Worker.all(connection=self.redis())
        except RedisError:  # Redis restarting: none known for now
            return []

    def supervised_pid(self, name: str) -> int:
        """What `supervisorctl pid NAME` says (the README's way to see the processes)."""
        ctl = Path(BARO).with_name("supervisorctl")
        done = subprocess.run([ctl, "-c", self.var / "supervisord.conf", "pid", name], capture_output=True, text=True)
        return int(done.stdout.strip())

    def submissions(self) -> tuple[int, int]:
        """(stored, triage-ready) submissions."""
        with sqlite3.connect(self.var / "baro.sqlite3", timeout=10) as db:
            return db.execute("SELECT count(*), count(ready_at) FROM feedback").fetchone()

    def stop(self) -> None:
        stop(self.make, seconds=30)


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    """One `make run` for the fault tests; the sweep every 2 s picks up what a killed worker dropped."""
    run = MakeRun(tmp_path_factory.mktemp("make-run"), SWEEP_INTERVAL_SECONDS="2")
    try:
        run.wait_until_serving()
        yield run
    finally:
        run.stop()


def post(client: httpx.Client, run: MakeRun, sender: str, body: str) -> str:
    """"answered", or what went wrong as Twilio would see it."""
    try:
        response = signed_post(client, run.url, run.auth_token(), sender, body)
    except httpx.TransportError as error:
        return f"refused ({type(error).__name__})"
    return "answered" if response.status_code == 200 else f"HTTP {response.status_code}"


def test_killed_workers_are_started_again_and_no_message_is_refused(running):
    first = wait_for(running.rq_workers, 60, "an RQ worker")[0].pid
    pool = parent_of(first)
    [web_worker] = descendants(running.supervised_pid("baro:web"))
    stored_before = running.submissions()[0]
    killed, orphans, outcomes = [], set(), []

    def new_worker() -> int | None:
        pids = [w.pid for w in running.rq_workers() if w.pid not in killed and parent_of(w.pid) not in killed]
        return pids[0] if pids else None

    # A connection per message, as Twilio makes them.
    with httpx.Client(timeout=20, limits=httpx.Limits(max_keepalive_connections=0)) as client:
        for n in range(MESSAGES):
            if n == 40:  # an RQ worker exits, with its scheduler process (honcho then stopped everything)
                killed.append(first)
                for pid in {first, *descendants(first)}:
                    os.kill(pid, signal.SIGKILL)
            if n == 80:  # the web's only uvicorn worker dies: gunicorn starts another, holding the port meanwhile
                os.kill(web_worker, signal.SIGKILL)
            if n == 120:  # the pool itself dies: supervisord starts it again; its worker stops with it
                killed.append(pool)
                orphans |= descendants(pool)
                os.kill(pool, signal.SIGKILL)
            if n == 160:  # a worker dies alone: its scheduler process stops with it, its pool starts another
                worker = wait_for(new_worker, 30, "the new pool's RQ worker")
                killed.append(worker)
                orphans |= descendants(worker)
                os.kill(worker, signal.SIGKILL)
            phone = f"+2237100{n // len(COMPLAINT):04d}"
            outcomes.append(post(client, running, phone, COMPLAINT[n % len(COMPLAINT)]))

    failed = [outcome for outcome in outcomes if outcome != "answered"]
    print(f"{MESSAGES} messages while killing RQ workers, their pool and the web's worker: {len(failed)} not answered")
    assert failed == []
    assert running.make.poll() is None

    # A new worker takes the queue: every submission of the burst ends up ready for triage. Nothing killed
    # left a process behind.
    wait_for(new_worker, 30, "a new RQ worker")
    assert orphans
    wait_for(lambda: not any(alive(pid) for pid in orphans), 30, "the killed processes' children to stop")
    expected = stored_before + MESSAGES // len(COMPLAINT)
    wait_for(lambda: running.submissions() == (expected, expected), 60, f"{expected} submissions ready for triage")
    assert healthy(f"{running.url}/healthz")


def test_the_private_redis_is_started_again_and_messages_flow(running):
    socket = running.var / "redis.sock"
    [server] = wait_for(lambda: pids_using(socket), 30, "the private Redis")
    os.kill(server, signal.SIGKILL)
    wait_for(lambda: ping(socket) and pids_using(socket) not in ([], [server]), 30, "a new private Redis")
    assert httpx.get(f"{running.url}/healthz").json()["redis"] == "up"

    stored, _ = running.submissions()
    with httpx.Client(timeout=20) as client:
        outcomes = [post(client, running, "+22371999999", body) for body in COMPLAINT]
    assert outcomes == ["answered"] * len(COMPLAINT)
    wait_for(lambda: running.submissions() == (stored + 1, stored + 1), 60, "the submission ready for triage")


def stop_and_check(run: MakeRun, how: str) -> None:
    """Stop `make run` as a developer does, and check that nothing it started is left."""
    started = descendants(run.make.pid)
    assert started, "make started nothing"
    if how == "SIGTERM to make":
        run.make.send_signal(signal.SIGTERM)
    else:  # what the terminal sends its foreground job's process group
        os.killpg(run.make.pid, {"Ctrl-C": signal.SIGINT, "the terminal closing": signal.SIGHUP}[how])
    took = ends_within(run.make, 60)
    print(f"`make run` stopped {took:.1f} s after {how}" if took is not None else f"`make run` ignored {how}")
    assert took is not None
    assert not healthy(f"{run.url}/healthz")
    assert pids_using(run.var / "redis.sock") == []
    assert not ping(run.var / "redis.sock")
    assert [pid for pid in started if alive(pid)] == [], "processes left behind"


def test_make_run_serves_a_whole_conversation_and_sigterm_stops_everything(tmp_path):
    run = MakeRun(tmp_path)
    try:
        run.wait_until_serving()
        assert httpx.get(f"{run.url}/healthz").json() == {"database": "up", "redis": "up"}
        assert (run.var / "redis.sock").exists() and pids_using(run.var / "redis.sock")

        simulate = subprocess.run(
            [BARO, "simulate", "--phone", "+22370000001"],
            input="\n".join(COMPLAINT) + "\n", env=run.env, cwd=ROOT, capture_output=True, text=True, timeout=60,
        )
        assert simulate.returncode == 0, simulate.stderr
        assert "baro> Merci, votre plainte est enregistrée. Référence : " in simulate.stdout
        wait_for(lambda: run.submissions() == (1, 1), 60, "the worker's intake")
        stop_and_check(run, "SIGTERM to make")
    finally:
        run.stop()
    assert "admin account: admin@baro.local  password: " in run.output()


def test_the_terminal_closing_stops_everything(tmp_path):
    """A hangup would make supervisord reload; `baro run` turns it into a stop."""
    run = MakeRun(tmp_path)
    try:
        run.wait_until_serving()
        wait_for(run.rq_workers, 60, "an RQ worker")
        stop_and_check(run, "the terminal closing")
    finally:
        run.stop()


def test_ctrl_c_stops_everything(running):
    """Last in this module: it stops the `make run` the fault tests above shared, after their kills."""
    running.wait_until_serving()
    stop_and_check(running, "Ctrl-C")
