"""Every long-running process stops promptly and cleanly on SIGTERM, whatever Redis does (issue 9, item 8).

A supervisor that dies first leaves its processes behind; whoever cleans up sends SIGTERM. `baro cron`
used to answer it by retrying a Redis that was gone every 5 s, forever (three such orphans were found on a
test machine). Each process here runs alone, as an orphan would, against a private Redis that is killed.
"""

import os
import signal
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue, Worker
from rq.worker import WorkerStatus

from bot.handover import INTAKE_QUEUE
from tests.real_processes import (
    alive,
    descendants,
    ends_within,
    free_port,
    healthy,
    redis_server,
    start_baro,
    stop,
    wait_for,
)
from workers.pool import STOP_SECONDS

# "Promptly": what a supervisor may wait before it kills (systemd's and supervisord's stop timeouts are longer).
CRON_SECONDS = 5
SERVER_SECONDS = 10


@pytest.fixture
def env(environment, tmp_path) -> dict[str, str]:
    """The session's secrets, with state of this test's own: a Redis it may kill (tmp_path/var/redis.sock),
    its VAR_DIR and an SQLite file (the app starts without tables; nothing here writes to it)."""
    return {
        **os.environ,
        **environment,
        "VAR_DIR": str(tmp_path / "var"),
        "REDIS_URL": f"unix://{tmp_path / 'var' / 'redis.sock'}",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'baro.sqlite3'}",
    }


def output(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:]


def assert_stops_cleanly(process, seconds: float, log: Path, group: set[int]) -> None:
    process.send_signal(signal.SIGTERM)
    took = ends_within(process, seconds)
    assert took is not None, f"still running {seconds} s after SIGTERM:\n{output(log)}"
    print(f"{' '.join(process.args[1:])}: stopped {took:.2f} s after SIGTERM")
    assert process.returncode == 0, output(log)
    assert [pid for pid in group if alive(pid)] == [], "children left behind"


def test_cron_stops_on_sigterm_after_redis_died_under_it(env, tmp_path):
    log = tmp_path / "cron.log"
    with redis_server(tmp_path / "var") as redis:
        cron = start_baro("cron", env=env, log=log)
        try:
            connection = Redis.from_url(env["REDIS_URL"])
            wait_for(lambda: connection.zcard("rq:cron_schedulers"), 30, "the scheduler to register")
            redis.kill()  # it now sleeps until its next job; the stop request meets a Redis that is gone
            redis.wait()
            assert_stops_cleanly(cron, CRON_SECONDS, log, set())
        finally:
            stop(cron)


def test_cron_stops_on_sigterm_while_it_waits_for_redis(env, tmp_path):
    log = tmp_path / "cron.log"
    cron = start_baro("cron", env=env, log=log)  # no Redis at all
    try:
        wait_for(lambda: "Redis unavailable" in log.read_text(), 30, "cron to find Redis unavailable")
        assert_stops_cleanly(cron, CRON_SECONDS, log, set())
    finally:
        stop(cron)


def test_the_worker_pool_stops_on_sigterm_after_redis_died_under_it(env, tmp_path):
    log = tmp_path / "worker.log"
    with redis_server(tmp_path / "var") as redis:
        pool = start_baro("worker", "--processes", "2", env=env, log=log)
        try:
            connection = Redis.from_url(env["REDIS_URL"])
            wait_for(lambda: len(Worker.all(connection=connection)) == 2, 30, "two RQ workers in the pool")
            group = descendants(pool.pid)
            redis.kill()
            redis.wait()
            assert_stops_cleanly(pool, SERVER_SECONDS, log, group)
        finally:
            stop(pool)


def test_the_worker_pool_kills_a_worker_that_has_not_stopped_in_time(env, tmp_path):
    """A worker that misses its warm stop, here one busy with a job far longer than any of baro's."""
    log = tmp_path / "worker.log"
    with redis_server(tmp_path / "var"):
        pool = start_baro("worker", "--processes", "1", env=env, log=log)
        try:
            connection = Redis.from_url(env["REDIS_URL"])
            wait_for(lambda: len(Worker.all(connection=connection)) == 1, 30, "the RQ worker in the pool")
            Queue(INTAKE_QUEUE, connection=connection).enqueue("time.sleep", 60)
            busy = [WorkerStatus.BUSY]
            wait_for(lambda: [w.get_state() for w in Worker.all(connection=connection)] == busy, 30, "a job running")
            group = descendants(pool.pid)
            assert_stops_cleanly(pool, STOP_SECONDS + 3, log, group)
            assert "killed" in output(log)
        finally:
            stop(pool)


def test_the_web_server_stops_on_sigterm_after_redis_died_under_it(env, tmp_path):
    log, port = tmp_path / "web.log", free_port()
    with redis_server(tmp_path / "var") as redis:
        web = start_baro("web", "--workers", "2", env={**env, "PORT": str(port)}, log=log)
        try:
            wait_for(lambda: healthy(f"http://127.0.0.1:{port}/healthz"), 60, "the web service")
            wait_for(lambda: len(descendants(web.pid)) >= 2, 30, "two uvicorn workers")
            group = descendants(web.pid)
            redis.kill()
            redis.wait()
            assert_stops_cleanly(web, SERVER_SECONDS, log, group)
            assert not healthy(f"http://127.0.0.1:{port}/healthz")
        finally:
            stop(web)
