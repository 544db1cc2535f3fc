"""Capacity of the messaging webhook, measured from outside with wrk, against a bare FastAPI echo.

    .venv/bin/python bench/capacity.py [--databases sqlite,postgresql] [--processes 1,2] [--seconds 10]
                                       [--phones 5000] [--memory-messages 100000] [--no-profile]

Each configuration is served the way `baro web` serves it (gunicorn's arbiter over uvicorn workers,
bot/webserver.py, access log on) in a subprocess built for the run: a fresh, migrated and seeded database
(a temporary SQLite file, or a new PostgreSQL database dropped at the end), a private Redis, random
secrets, a free port. wrk sends properly signed Twilio forms (signatures computed here, in advance: wrk
cannot compute HMAC-SHA1) from `--phones` distinct numbers, each walking a whole complaint; the phones are
interleaved so that any second of the run holds every step of the conversation, and a phone's next
message comes long after its last one was answered. The echo app (bench/echo_app.py) gets the same
requests under the same server. Loads:

- saturation: 32 connections, no pause (throughput, the worst latency);
- moderate: 8 connections, 40 ms between a connection's requests (p99 at an everyday rush).

Then, unless told not to: a profile of one process at moderate load (cProfile in every thread; each
function's own time goes to a part of the work by the file it lives in), and the memory of a web process
after `--memory-messages` messages and of a worker after it has done the jobs they queued.
"""

import argparse
import contextlib
import json
import os
import platform
import pstats
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.webhook import (  # noqa: E402
    _die_with_parent,
    _importable,
    _tail,
    database_counts,
    free_port,
    intake_jobs,
    prepare_database,
    server_env,
)
from bot.devserver import local_redis  # noqa: E402

WEBHOOK_PATH = "/webhooks/twilio/messaging"
ECHO_PATH = "/echo"
LINE_NUMBER = "+22360000000"
# First contact, French, accept consent, report a problem, first site, water, the description; then what
# people send after a complaint (recorded, submitting nothing).
CONVERSATION = (
    "Bonjour",
    "1",
    "1",
    "1",
    "2",
    "2",
    "Le forage du bloc C est en panne depuis trois jours, pas d'eau.",
    "Merci",
    "MENU",
)
# Phones walk the conversation in groups: a phone's next message comes a group later, after its last answer
# (more than the 32 connections in flight), and a short run still completes complaints.
GROUP = 64
LOADS = {"saturation": (32, 0), "moderate": (8, 40)}  # connections, ms between a connection's requests
# baro checks signatures against the URL Twilio calls: its PUBLIC_URL, not the port it listens on.
PUBLIC_URL = "http://bench.invalid"
POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

# The server subprocess: `baro web`'s gunicorn (bot.webserver), with the real app or the echo app.
# BENCH_PROFILE: one uvicorn process under cProfile instead, every thread's CPU time profiled, stats dumped on exit.
SERVE = r"""
import os, sys
target, port, workers, bench_dir = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]

def create():
    if target == "baro":
        from bot.app import create_app
        from bot.config import Settings
        return create_app(Settings(_env_file=None))
    sys.path.insert(0, bench_dir)
    from echo_app import app
    return app

profile = os.environ.get("BENCH_PROFILE")
if not profile:
    from bot import webserver
    from bot.config import Settings
    where = Settings(_env_file=None, host="127.0.0.1", port=port)
    webserver.WebServer(webserver.options(where, workers), create).run()
else:
    import cProfile, threading, pstats, time
    import uvicorn

    # Every thread (the webhooks' pool, anyio's) under its own profiler from its start: CPU time, not waits.
    profiles = []
    bootstrap = threading.Thread._bootstrap_inner

    def profiled_bootstrap(thread):
        profiler = cProfile.Profile(time.thread_time)
        profiles.append(profiler)
        profiler.enable()
        try:
            bootstrap(thread)
        finally:
            profiler.disable()

    threading.Thread._bootstrap_inner = profiled_bootstrap
    app = create()
    runtime = getattr(app.state, "runtime", None)
    if runtime is not None:  # what a process builds once (flows, catalogues, checks) is not a message's work
        for built_once in ("conversations", "transactions", "webhook_threads"):
            getattr(runtime, built_once, None)
    main = cProfile.Profile(time.thread_time)  # CPU, not waits: each thread its own clock
    main.enable()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
    main.disable()
    stats = pstats.Stats(main)
    for profiler in profiles:
        stats.add(profiler)
    stats.dump_stats(profile)
"""

# wrk's script: the run's requests in order (each connection takes the next), statuses counted, a JSON
# summary printed at the end. One wrk thread, so that no two connections send the same request.
WRK_SCRIPT = r"""
local requests = {}
for line in io.lines(os.getenv("BENCH_REQUESTS")) do
  local signature, body = line:match("^([^\t]*)\t(.*)$")
  requests[#requests + 1] = {body, signature}
end
local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
local path = os.getenv("BENCH_PATH")
local n, i, bad = #requests, 0, 0

request = function()
  i = i + 1
  local r = requests[((i - 1) % n) + 1]
  return wrk.format("POST", path, {["Content-Type"] = "application/x-www-form-urlencoded",
                                   ["X-Twilio-Signature"] = r[2]}, r[1])
end

response = function(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
end

if delay_ms > 0 then
  delay = function() return delay_ms end
end

done = function(summary, latency, requests_stats)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "socket_errors": %d, "non_200": %d, "timeouts": %d, ' ..
    '"p50_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write, bad + e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


# --- the run's resources -----------------------------------------------------------------


def find_wrk() -> tuple[str, str]:
    """wrk's path and how it was found: on PATH, or installed from Debian's packages when we may."""
    path = shutil.which("wrk")
    if path:
        return path, "found on PATH"
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, capture_output=True)
        path = shutil.which("wrk")
        if path:
            return path, "installed with apt-get"
    sys.exit("wrk is needed: install it (Debian: apt-get install wrk) and run again")


def wrk_version(wrk: str) -> str:
    result = subprocess.run([wrk, "--version"], capture_output=True, text=True)
    return (result.stdout or result.stderr).splitlines()[0].strip() if (result.stdout or result.stderr) else "wrk"


@contextmanager
def database(kind: str, tmp: Path) -> Iterator[str]:
    """A migrated, seeded database for one configuration: a SQLite file, or a new PostgreSQL database."""
    if kind == "sqlite":
        url = f"sqlite:///{tmp / f'baro-{secrets.token_hex(4)}.sqlite3'}"
        prepare_database(url)
        yield url
        return
    import psycopg

    name = f"baro_bench_{secrets.token_hex(4)}"
    admin = POSTGRES_ADMIN_URL.replace("+psycopg", "")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        prepare_database(url)
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def process_tree(pid: int) -> list[int]:
    """A process and all its descendants (Linux /proc)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(child) for child in (task / "children").read_text().split()]
    return found


def cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class Server:
    process: subprocess.Popen
    base_url: str
    wrk_cores: set[int] | None  # where wrk runs against it (`cores`)

    def workers(self) -> list[int]:
        """The processes that serve requests: gunicorn's workers, or the one process."""
        children = process_tree(self.process.pid)[1:]
        return children or [self.process.pid]

    def cpu(self) -> float:
        return cpu_seconds(process_tree(self.process.pid))


def cores(procs: int, database: str) -> tuple[set[int] | None, set[int] | None]:
    """Where a server of `procs` processes serving from `database` runs, and where wrk does: None for anywhere.

    One process gets a core of its own, the same for the echo and for baro on SQLite, and wrk the others:
    otherwise the scheduler moved the server between cores, shared one with wrk, and on a virtual machine whose
    cores do not run at the same speed (here, one was a quarter slower) two runs of the same code differed by
    half. On PostgreSQL nothing is pinned: its own processes do part of every message's work, and a web process
    alone on its core left them the other (one process then carried a third more, and two only 1.46 times
    that). Two processes need every core.
    """
    available = sorted(os.sched_getaffinity(0))
    if procs != 1 or database == "postgresql" or len(available) < 2:
        return None, None
    return {available[-1]}, set(available[:-1])


def _on(cpus: set[int] | None):
    """A subprocess's preexec_fn: dies with this script, and runs on `cpus` if given."""

    def start() -> None:
        _die_with_parent()
        if cpus:
            os.sched_setaffinity(0, cpus)

    return start


@contextmanager
def serve(
    target: str, workers: int, env: dict[str, str], log_path: Path, profile: Path | None = None, database: str = "-"
):
    port = free_port()
    server_cores, wrk_cores = cores(workers, database)
    env = {**env, **({"BENCH_PROFILE": str(profile)} if profile else {})}
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", SERVE, target, str(port), str(workers), str(BENCH)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_on(server_cores),
        )
    server = Server(process, f"http://127.0.0.1:{port}", wrk_cores)
    try:
        wait_ready(server, log_path, "/healthz" if target == "baro" else "/docs")
        yield server
    finally:
        process.send_signal(signal.SIGINT if profile else signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_ready(server: Server, log_path: Path, path: str) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited with {server.process.returncode}:\n{_tail(log_path)}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(server.base_url + path, timeout=2, trust_env=False).status_code == 200:
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"server not ready after 60 s:\n{_tail(log_path)}")
        time.sleep(0.2)


# --- the requests ------------------------------------------------------------------------


class Requests:
    """Signed Twilio forms from distinct phones, never the same phone or MessageSid twice in a run."""

    def __init__(self, tmp: Path, token: str):
        self.tmp, self.validator = tmp, RequestValidator(token)
        self.account_sid = "AC" + secrets.token_hex(16)
        self.next_phone = 0
        self.files = 0

    def write(self, url: str, count: int) -> Path:
        """A file of `count` signed requests for `url`, from fresh phones (so fresh conversations)."""
        rows = []
        while len(rows) < count:
            group = range(self.next_phone, self.next_phone + GROUP)
            self.next_phone += GROUP
            for text in CONVERSATION:
                for index in group:
                    params = {
                        "MessageSid": "SM" + secrets.token_hex(16),
                        "AccountSid": self.account_sid,
                        "From": f"+2237{index % 10_000_000:07d}",
                        "To": LINE_NUMBER,
                        "Body": text,
                        "NumMedia": "0",
                    }
                    rows.append((urlencode(params), self.validator.compute_signature(url, params)))
        del rows[count:]
        self.files += 1
        # One request a line, signature and form body (URL-encoded: neither holds a tab or a newline): a Lua
        # table literal of 100,000 rows is over Lua's limit of constants.
        path = self.tmp / f"requests-{self.files}.tsv"
        with open(path, "w") as out:
            for body, signature in rows:
                out.write(f"{signature}\t{body}\n")
        return path


@dataclass
class Load:
    name: str
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    cpu_ms: float  # server CPU per request

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else float("nan")


def run_wrk(wrk: str, server: Server, path: str, requests: Path, load: str, seconds: float, tmp: Path) -> Load:
    connections, delay = LOADS[load]
    script = tmp / "bench.lua"
    script.write_text(WRK_SCRIPT)
    env = {**os.environ, "BENCH_REQUESTS": str(requests), "BENCH_DELAY_MS": str(delay), "BENCH_PATH": path}
    before = server.cpu()
    result = subprocess.run(
        [
            wrk,
            "-t1",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            server.base_url,
        ],
        capture_output=True,
        text=True,
        env=env,
        preexec_fn=_on(server.wrk_cores),
    )
    spent = server.cpu() - before
    line = next((line for line in result.stdout.splitlines() if line.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    data = json.loads(line[len("BENCH ") :])
    count = data["requests"]
    return Load(
        name=load,
        requests=count,
        seconds=data["duration_us"] / 1e6,
        errors=data["socket_errors"] + data["non_200"] + data["timeouts"],
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        cpu_ms=spent / count * 1000 if count else float("nan"),
    )


# --- the per-message breakdown -----------------------------------------------------------

# Where a function lives decides which part of the work its own time counts for; the first match wins.
PARTS = (
    ("signature", ("twilio/request_validator", "/hmac.py", "bot/channels/twilio.py")),
    ("rendering", ("twilio/twiml", "/xml/", "bot/channels/sms.py", "bot/channels/base.py")),
    ("database", ("sqlalchemy", "sqlite3", "psycopg", "bot/models.py", "bot/db.py")),
    ("redis", ("/redis/", "/rq/", "bot/handover.py")),
    ("parsing", ("urllib/parse", "pydantic", "multipart", "bot/web/providers.py", "bot/conversation/inbound.py")),
    (
        "server",
        (
            "uvicorn",
            "starlette",
            "fastapi",
            "anyio",
            "asyncio",
            "h11",
            "httptools",
            "uvloop",
            "selectors",
            "socket",
            "threading",
            "concurrent/futures",
            "/logging/",
            "bot/access_log.py",
            "gunicorn",
        ),
    ),
    ("conversation", ("bot/", "flows/", "babel", "gettext", "yaml", "phonenumbers", "cryptography", "/re/")),
)


def part_of(filename: str) -> str | None:
    for part, marks in PARTS:
        if any(mark in filename for mark in marks):
            return part
    return None


def breakdown(stats_path: Path) -> dict[str, float]:
    """Each part's share of the profiled time. A built-in (C) function's time goes to its callers' parts."""
    stats = pstats.Stats(str(stats_path)).stats
    shares: dict[str, float] = defaultdict(float)

    def owner(key) -> str:
        filename = key[0]
        if filename != "~":
            return part_of(filename) or "other"
        # A C function: the part of the caller that spent the most in it.
        callers = stats.get(key, (0, 0, 0, 0, {}))[4]
        if not callers:
            return "other"
        best = max(callers.items(), key=lambda item: item[1][2])[0]
        return owner(best) if best[0] != "~" else "other"

    for key, (_cc, _nc, own, _cum, callers) in stats.items():
        if key[0] == "~" and callers:
            spread = sum(c[2] for c in callers.values()) or 1
            for caller, (_a, _b, caller_own, _d) in callers.items():
                shares[owner(caller) if caller[0] != "~" else "other"] += own * caller_own / spread
        else:
            shares[owner(key)] += own
    # The event loop waiting for sockets is idle time, not work.
    idle = sum(v[2] for k, v in stats.items() if "select" in k[2] and ("epoll" in k[2] or "poll" in k[2]))
    shares["server"] = max(0.0, shares["server"] - idle)
    total = sum(shares.values()) or 1
    return {part: value / total for part, value in shares.items()}


# --- the report --------------------------------------------------------------------------


def machine(wrk: str, found: str) -> str:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    import gunicorn
    import uvicorn

    loop = "uvloop" if _importable("uvloop") else "asyncio"
    http = "httptools" if _importable("httptools") else "h11"
    return (
        f"{usable} cores, Python {platform.python_version()}, {platform.system()} {platform.release()}; "
        f"gunicorn {gunicorn.__version__} + uvicorn {uvicorn.__version__} (loop {loop}, http {http}); "
        f"load generator {wrk_version(wrk)} ({found}, 1 thread)"
    )


ROW = "{:<6} {:<10} {:>5} {:<10} {:>9} {:>7} {:>8} {:>8} {:>8} {:>9} {:>7} {:>9}"


def header() -> str:
    line = ROW.format(
        "target",
        "database",
        "procs",
        "load",
        "requests",
        "errors",
        "req/s",
        "p50 ms",
        "p99 ms",
        "max ms",
        "cpu ms",
        "RSS MB",
    )
    return line + "\n" + "-" * len(line)


def row(target: str, db: str, procs: int, load: Load, rss: float) -> str:
    return ROW.format(
        target,
        db,
        procs,
        load.name,
        load.requests,
        load.errors,
        f"{load.rate:.0f}",
        f"{load.p50_ms:.1f}",
        f"{load.p99_ms:.1f}",
        f"{load.max_ms:.0f}",
        f"{load.cpu_ms:.2f}",
        f"{rss:.0f}",
    )


# --- main --------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite, postgresql or both")
    parser.add_argument("--processes", default="1,2", help="web processes to try (default 1,2)")
    parser.add_argument("--loads", default="saturation,moderate", help="saturation, moderate or both")
    parser.add_argument("--seconds", type=float, default=10, help="seconds per measured load (default 10)")
    parser.add_argument("--phones", type=int, default=5000, help="distinct phones per load (default 5000)")
    parser.add_argument("--memory-messages", type=int, default=100_000, help="messages before the RSS (0: skip)")
    parser.add_argument("--no-profile", action="store_true", help="skip the per-message CPU breakdown")
    parser.add_argument("--profile-on", default="sqlite", choices=("sqlite", "postgresql"), help="its database")
    parser.add_argument("--profile-out", type=Path, help="also keep the profile here (read it with pstats)")
    return parser.parse_args(argv)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def run(args: argparse.Namespace) -> int:
    wrk, found = find_wrk()
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    processes = [int(p) for p in args.processes.split(",")]
    loads = [load.strip() for load in args.loads.split(",") if load.strip()]
    print(f"machine: {machine(wrk, found)}", flush=True)
    print(f"each load: {args.seconds:.0f} s after a 2 s warm-up, requests from {args.phones} phones", flush=True)
    server_cores, wrk_cores = cores(1, "sqlite")
    if server_cores:
        print(f"one process (echo, SQLite) runs on core {min(server_cores)}, wrk on {sorted(wrk_cores)}", flush=True)
    results: dict[tuple[str, str, int, str], Load] = {}
    failures = 0
    # Enough requests that no run sends one twice (a run is far from 6,000 requests a second).
    per_run = max(args.phones * len(CONVERSATION), int(6000 * args.seconds))

    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="baro-capacity-")))
        token = secrets.token_hex(16)
        requests = Requests(tmp, token)
        lines = [header()]
        print("\n" + lines[0], flush=True)

        def measure(target: str, db_name: str, env: dict[str, str], procs: int, path: str) -> None:
            nonlocal failures
            with serve(target, procs, env, tmp / f"{target}.log", database=db_name) as server:
                url = PUBLIC_URL + path
                warm = requests.write(url, 2000)
                run_wrk(wrk, server, path, warm, "saturation", 2, tmp)
                for load in loads:
                    measured = run_wrk(wrk, server, path, requests.write(url, per_run), load, args.seconds, tmp)
                    rss = max(rss_mb(pid) for pid in server.workers())
                    results[(target, db_name, procs, load)] = measured
                    failures += measured.errors
                    line = row(target, db_name, procs, measured, rss)
                    lines.append(line)
                    print(line, flush=True)

        redis_url = stack.enter_context(local_redis(tmp / "redis", tmp / "redis.sock", persist=False))
        for procs in processes:
            measure("echo", "-", server_env(), procs, ECHO_PATH)
        for db_name in databases:
            with database(db_name, tmp) as db_url:
                env = baro_env(tmp, db_url, redis_url, token)
                for procs in processes:
                    measure("baro", db_name, env, procs, WEBHOOK_PATH)
                counts = database_counts(db_url)
                print(
                    f"  {db_name}: {counts['feedback']} complaints stored ({counts['max_feedback_per_contact']} at most"
                    f" per phone), messages in {counts['messages_in']} / out {counts['messages_out']}",
                    flush=True,
                )
                if counts["max_feedback_per_contact"] > 1:
                    failures += 1

        print()
        for db_name in databases:
            for procs in processes:
                for load in loads:
                    baro, echo = results.get(("baro", db_name, procs, load)), results.get(("echo", "-", procs, load))
                    if baro and echo and load == "saturation":
                        print(
                            f"baro / echo, {db_name}, {procs} process(es), saturation: "
                            f"{baro.rate:.0f} / {echo.rate:.0f} = {baro.rate / echo.rate:.3f}"
                        )
            one, two = results.get(("baro", db_name, 1, "saturation")), results.get(("baro", db_name, 2, "saturation"))
            if one and two:
                print(f"two processes / one, {db_name}: {two.rate:.0f} / {one.rate:.0f} = {two.rate / one.rate:.2f}")

        if not args.no_profile:
            with database(args.profile_on, tmp) as db_url:
                profile_path = tmp / "profile.pstats"
                env = baro_env(tmp, db_url, redis_url, token)
                with serve("baro", 1, env, tmp / "profile.log", profile_path, args.profile_on) as server:
                    url = PUBLIC_URL + WEBHOOK_PATH
                    measured = run_wrk(
                        wrk, server, WEBHOOK_PATH, requests.write(url, per_run), "moderate", args.seconds, tmp
                    )
                plain = results.get(("baro", args.profile_on, 1, "moderate")) or results.get(
                    ("baro", args.profile_on, 1, "saturation")
                )
                cpu = plain.cpu_ms if plain else measured.cpu_ms
                shares = breakdown(profile_path)
                if args.profile_out:
                    shutil.copyfile(profile_path, args.profile_out)
                print(
                    f"\nwhere a message's {cpu:.2f} ms of server CPU goes ({args.profile_on}, 1 process; shares from a "
                    f"cProfile of {measured.requests} requests at moderate load):"
                )
                for part, share in sorted(shares.items(), key=lambda item: -item[1]):
                    print(f"  {part:<13} {share * 100:5.1f} %  {share * cpu:6.2f} ms")

        if args.memory_messages:
            failures += memory(args, wrk, requests, tmp, redis_url, token)
    return 1 if failures else 0


def baro_env(tmp: Path, db_url: str, redis_url: str, token: str) -> dict[str, str]:
    # BENCH_WEBHOOK_THREADS: try another WEBHOOK_THREADS (the environment's baro settings are not passed on).
    threads = os.environ.get("BENCH_WEBHOOK_THREADS")
    threads = {"webhook_threads": threads} if threads else {}
    return server_env(
        **threads,
        database_url=db_url,
        redis_url=redis_url,
        twilio_account_sid="AC" + secrets.token_hex(16),
        twilio_auth_token=token,
        # Replies are TwiML; what workers would send goes nowhere that exists (the outbox: no network).
        twilio_api_url="http://127.0.0.1:9",
        secret_key=secrets.token_urlsafe(32),
        var_dir=str(tmp),
        public_url=PUBLIC_URL,
    )


def memory(args, wrk: str, requests: Requests, tmp: Path, redis_url: str, token: str) -> int:
    """RSS of a web process after `--memory-messages` messages, and of a worker after their jobs."""
    with database("sqlite", tmp) as db_url:
        env = baro_env(tmp, db_url, redis_url, token)
        with serve("baro", 1, env, tmp / "memory.log", database="sqlite") as server:
            url = PUBLIC_URL + WEBHOOK_PATH
            path = requests.write(url, args.memory_messages)
            start_rss = rss_mb(server.workers()[0])
            sent, errors, started = 0, 0, time.monotonic()
            # wrk runs for a duration, not a count: run it in slices until the messages are sent.
            while sent < args.memory_messages:
                load = run_wrk(wrk, server, WEBHOOK_PATH, path, "saturation", 10, tmp)
                sent += load.requests
                errors += load.errors
            web_rss = rss_mb(server.workers()[0])
        jobs = intake_jobs(redis_url)
        worker_env = {**env, "WORKER_PROCESSES": "1"}
        with open(tmp / "worker.log", "ab") as log:
            worker = subprocess.Popen(
                [str(ROOT / ".venv/bin/baro"), "worker"],
                env=worker_env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        try:
            peak = 0.0
            deadline = time.monotonic() + 1800
            while (intake_jobs(redis_url) or 0) > 0 and time.monotonic() < deadline and worker.poll() is None:
                peak = max([peak, *(rss_mb(pid) for pid in process_tree(worker.pid)[1:])])
                time.sleep(1)
            left = intake_jobs(redis_url)
            peak = max([peak, *(rss_mb(pid) for pid in process_tree(worker.pid)[1:])])
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    print(
        f"\nmemory: web process {start_rss:.0f} MB at start, {web_rss:.0f} MB after {sent} messages "
        f"({sent / (time.monotonic() - started):.0f}/s, {errors} errors); worker {peak:.0f} MB at most "
        f"over {jobs} intake jobs ({left} left)"
    )
    return errors


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return run(args)
    except KeyboardInterrupt:
        print("\ninterrupted; servers and Redis stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
