"""Load test of the Twilio messaging webhook, against a bare FastAPI echo app as the floor.

    .venv/bin/python bench/webhook.py [--phones 200] [--messages-per-phone 8] [--concurrency 50]

One run builds everything it needs in a temporary directory (a migrated and seeded
SQLite database, a private Redis on a unix socket, random secrets, a free port), starts
the real app under uvicorn in a subprocess, and has many simulated phones walk a whole
complaint conversation at once, each message a properly signed Twilio form. A phone's
messages go one after another (a person waits for the reply); phones run concurrently,
at most --concurrency requests in flight. It then sends the same number of form
requests, with the same concurrency, to bench/echo_app.py under the same server, and
prints one table for both. Everything it started is stopped at the end, on error and
on Ctrl-C too. Only loopback is used.
"""

import argparse
import asyncio
import math
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Coroutine, Iterator
from contextlib import AsyncExitStack, ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from twilio.request_validator import RequestValidator

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from bot.db import make_engine, make_sessionmaker, transaction, upgrade  # noqa: E402
from bot.devserver import local_redis  # noqa: E402
from bot.seed import seed  # noqa: E402

WEBHOOK_PATH = "/webhooks/twilio/messaging"
ECHO_PATH = "/echo"
LINE_NUMBER = "+22360000000"  # the `To` of every message: the feedback line itself

# First contact, French, accept consent, report a problem, first site, second category, the text.
CONVERSATION = ["Bonjour", "1", "1", "1", "1", "2", "Le forage du bloc C est en panne depuis trois jours, pas d'eau."]
# Whatever a person sends after the complaint is recorded; none of it submits anything.
EXTRAS = ["Merci", "MENU"]

# The server subprocess: the real app from its settings (environment only, no env files), or the echo app.
SERVE = r"""
import sys
import uvicorn

target, port, bench_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if target == "baro":
    from bot.app import create_app
    from bot.config import Settings

    app = create_app(Settings(_env_file=None))
else:
    sys.path.insert(0, bench_dir)
    from echo_app import app

uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
"""


# --- the run's resources -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare_database(url: str) -> None:
    upgrade(url)
    engine = make_engine(url)
    try:
        with transaction(make_sessionmaker(engine)) as db:
            seed(db)
    finally:
        engine.dispose()


def server_env(**settings: str) -> dict[str, str]:
    """This environment minus anything baro's settings would read, plus the run's own settings."""
    ours = {name.upper() for name in Settings.model_fields}
    env = {key: value for key, value in os.environ.items() if key.upper() not in ours}
    env.update({key.upper(): value for key, value in settings.items()})
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _die_with_parent() -> None:
    """Linux: the server gets SIGTERM if this script dies without cleaning up (kill -9)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def _wait_ready(process: subprocess.Popen, base_url: str, health_path: str | None, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    with httpx.Client(timeout=2, trust_env=False) as client:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited with {process.returncode}:\n{_tail(log_path)}")
            try:
                response = client.get(base_url + (health_path or "/"))
                if health_path is None or response.status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server not ready after 60 s:\n{_tail(log_path)}")
            time.sleep(0.1)


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of a process so far (Linux /proc), None where unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


@contextmanager
def serve(
    target: str, port: int, env: dict[str, str], log_path: Path, health_path: str | None
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Run one app under uvicorn in a subprocess until the block ends; yields its base URL and process."""
    base_url = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", SERVE, target, str(port), str(BENCH)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches only us; we stop it in order below
            preexec_fn=_die_with_parent,
        )
    try:
        _wait_ready(process, base_url, health_path, log_path)
        yield base_url, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- the load ----------------------------------------------------------------------------


@dataclass
class Result:
    target: str
    requests: int = 0
    errors: int = 0
    wall: float = 0.0
    server_cpu: float | None = None
    client_cpu: float | None = None
    latencies: list[float] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)  # the first few errors, for the report
    transcript: list[tuple[str, str]] = field(default_factory=list)  # phone 1's messages and replies

    def percentile(self, q: float) -> float:
        """Nearest-rank percentile, in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)] * 1000


def phone_number(index: int) -> str:
    """Distinct Malian mobile numbers: +2237 and seven digits."""
    return f"+2237{index + 1:07d}"


def bodies(count: int) -> list[str]:
    return [
        CONVERSATION[i] if i < len(CONVERSATION) else EXTRAS[(i - len(CONVERSATION)) % len(EXTRAS)]
        for i in range(count)
    ]


# A check returns None when the response is right, else what is wrong with it.
Check = Callable[[httpx.Response, dict[str, str]], str | None]


def check_twiml(response: httpx.Response, params: dict[str, str]) -> str | None:
    if response.status_code != 200:
        return f"HTTP {response.status_code}: {response.text[:200]!r}"
    if not response.headers.get("content-type", "").startswith("application/xml"):
        return f"content-type {response.headers.get('content-type')!r}"
    try:
        root = ET.fromstring(response.content)
    except ET.ParseError as error:
        return f"not XML ({error}): {response.text[:200]!r}"
    if root.tag != "Response":
        return f"not TwiML: root <{root.tag}>"
    return None


def check_echo(response: httpx.Response, params: dict[str, str]) -> str | None:
    if response.status_code != 200:
        return f"HTTP {response.status_code}: {response.text[:200]!r}"
    try:
        echoed = response.json()
    except ValueError:
        return f"not JSON: {response.text[:200]!r}"
    return None if echoed == params else f"echo differs: {echoed!r}"


def reply_text(response: httpx.Response) -> str:
    try:
        return " / ".join(m.text or "" for m in ET.fromstring(response.content).iter("Message"))
    except ET.ParseError:
        return response.text


async def drive(
    target: str, url: str, token: str, phones: int, per_phone: int, concurrency: int, check: Check
) -> Result:
    """`phones` phones, each sending `per_phone` signed forms in turn; at most `concurrency` in flight."""
    result = Result(target)
    validator = RequestValidator(token)
    account_sid = "AC" + secrets.token_hex(16)
    texts = bodies(per_phone)
    pending: asyncio.Queue[int] = asyncio.Queue()
    for index in range(phones):
        pending.put_nowait(index)

    async def person(client: httpx.AsyncClient) -> None:
        while True:
            try:
                index = pending.get_nowait()
            except asyncio.QueueEmpty:
                return
            sender = phone_number(index)
            for text in texts:
                params = {
                    "MessageSid": "SM" + secrets.token_hex(16),
                    "AccountSid": account_sid,
                    "From": sender,
                    "To": LINE_NUMBER,
                    "Body": text,
                    "NumMedia": "0",
                }
                headers = {"X-Twilio-Signature": validator.compute_signature(url, params)}
                started = time.perf_counter()
                try:
                    response = await client.post(url, data=params, headers=headers)
                    problem = check(response, params)
                except httpx.HTTPError as error:
                    response, problem = None, f"{type(error).__name__}: {error}"
                result.latencies.append(time.perf_counter() - started)
                result.requests += 1
                if problem:
                    result.errors += 1
                    if len(result.samples) < 5:
                        result.samples.append(f"{sender} {text!r}: {problem}")
                if index == 0 and response is not None:
                    result.transcript.append((text, reply_text(response)))

    # One client, with one keep-alive connection, per request slot: a single httpx pool shared by
    # 50 tasks costs the client several milliseconds of CPU per request, which on two cores
    # would measure httpx rather than the server.
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(60.0), trust_env=False)
            )
            for _ in range(min(concurrency, phones))
        ]
        started = time.perf_counter()
        await asyncio.gather(*(person(client) for client in clients))
        result.wall = time.perf_counter() - started
    return result


def measured(server: subprocess.Popen, load: Coroutine[None, None, Result]) -> Result:
    """Run the load, noting the CPU the server and this (client) process spent on it."""
    server_before, client_before = cpu_seconds(server.pid), time.process_time()
    result = asyncio.run(load)
    server_after, client_after = cpu_seconds(server.pid), time.process_time()
    if server_before is not None and server_after is not None:
        result.server_cpu = server_after - server_before
    result.client_cpu = client_after - client_before
    return result


# --- what the run left in the database ---------------------------------------------------


def database_counts(url: str) -> dict[str, int]:
    from sqlalchemy import func, select

    from bot.models import Contact, Feedback, Message

    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as db:
            per_contact = select(Feedback.contact_id, func.count().label("n")).group_by(Feedback.contact_id).subquery()
            return {
                "feedback": db.scalar(select(func.count()).select_from(Feedback)) or 0,
                "contacts": db.scalar(select(func.count()).select_from(Contact)) or 0,
                "contacts_with_feedback": db.scalar(select(func.count()).select_from(per_contact)) or 0,
                "max_feedback_per_contact": db.scalar(select(func.max(per_contact.c.n))) or 0,
                "messages_in": db.scalar(select(func.count()).where(Message.direction == "in")) or 0,
                "messages_out": db.scalar(select(func.count()).where(Message.direction == "out")) or 0,
            }
    finally:
        engine.dispose()


def intake_jobs(redis_url: str) -> int | None:
    try:
        from redis import Redis
        from rq import Queue

        from bot.handover import INTAKE_QUEUE

        with Redis.from_url(redis_url) as redis:
            return Queue(INTAKE_QUEUE, connection=redis).count
    except Exception:
        return None


# --- the report --------------------------------------------------------------------------


def machine() -> str:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    try:
        import uvicorn

        server = f"uvicorn {uvicorn.__version__}"
    except ImportError:
        server = "uvicorn ?"
    loop = "uvloop" if _importable("uvloop") else "asyncio"
    http = "httptools" if _importable("httptools") else "h11"
    return (
        f"nproc {usable} (cpu_count {os.cpu_count()}), Python {platform.python_version()} "
        f"({platform.python_implementation()}), {platform.system()} {platform.release()} {platform.machine()}; "
        f"{server}, 1 worker, loop {loop}, http {http}"
    )


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def _seconds(value: float | None) -> str:
    return "?" if value is None else f"{value:.2f}"


def table(results: list[Result]) -> str:
    header = (
        f"{'target':<8} {'requests':>8} {'errors':>6} {'wall s':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}"
        f" {'server cpu s':>12} {'client cpu s':>12}"
    )
    rows = [header, "-" * len(header)]
    for r in results:
        rate = r.requests / r.wall if r.wall else float("nan")
        rows.append(
            f"{r.target:<8} {r.requests:>8} {r.errors:>6} {r.wall:>8.2f} {rate:>8.1f} "
            f"{r.percentile(0.50):>8.1f} {r.percentile(0.99):>8.1f}"
            f" {_seconds(r.server_cpu):>12} {_seconds(r.client_cpu):>12}"
        )
    return "\n".join(rows)


# --- main --------------------------------------------------------------------------------


def positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phones", type=positive, default=200, help="simulated phones (default 200)")
    parser.add_argument(
        "--messages-per-phone",
        type=positive,
        default=8,
        help="messages each phone sends (default 8; 7 complete a complaint)",
    )
    parser.add_argument("--concurrency", type=positive, default=50, help="requests in flight at most (default 50)")
    parser.add_argument("-v", "--verbose", action="store_true", help="also print phone 1's conversation with baro")
    return parser.parse_args(argv)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def run(args: argparse.Namespace) -> int:
    total = args.phones * args.messages_per_phone
    complete = args.messages_per_phone >= len(CONVERSATION)
    print(
        f"parameters: phones {args.phones}, messages per phone {args.messages_per_phone}, "
        f"concurrency {args.concurrency} -> {total} requests per target",
        flush=True,
    )
    print(f"machine: {machine()}", flush=True)
    if not complete:
        print(f"note: fewer than {len(CONVERSATION)} messages per phone never completes a complaint", flush=True)

    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="baro-bench-")))
        db_url = f"sqlite:///{tmp / 'baro.sqlite3'}"
        prepare_database(db_url)
        redis_url = stack.enter_context(local_redis(tmp / "redis", tmp / "redis.sock", persist=False))
        token = secrets.token_hex(16)

        port = free_port()
        env = server_env(
            host="127.0.0.1",
            port=str(port),
            public_url=f"http://127.0.0.1:{port}",
            database_url=db_url,
            redis_url=redis_url,
            twilio_account_sid="AC" + secrets.token_hex(16),
            twilio_auth_token=token,
            secret_key=secrets.token_urlsafe(32),
            var_dir=str(tmp),
        )
        print(f"baro: {db_url}, {redis_url}, port {port}", flush=True)
        with serve("baro", port, env, tmp / "baro.log", "/healthz") as (base_url, process):
            baro = measured(
                process,
                drive(
                    "baro",
                    base_url + WEBHOOK_PATH,
                    token,
                    args.phones,
                    args.messages_per_phone,
                    args.concurrency,
                    check_twiml,
                ),
            )
        baro_log = _tail(tmp / "baro.log", 15)
        counts = database_counts(db_url)
        jobs = intake_jobs(redis_url)

        port = free_port()
        print(f"echo: port {port}", flush=True)
        with serve("echo", port, server_env(), tmp / "echo.log", None) as (base_url, process):
            echo = measured(
                process,
                drive(
                    "echo",
                    base_url + ECHO_PATH,
                    token,
                    args.phones,
                    args.messages_per_phone,
                    args.concurrency,
                    check_echo,
                ),
            )
        echo_log = _tail(tmp / "echo.log", 15)

    print()
    print(table([baro, echo]))
    print()
    expected = args.phones if complete else 0
    db_ok = (
        counts["feedback"] == expected
        and counts["contacts_with_feedback"] == expected
        and counts["max_feedback_per_contact"] <= 1
    )
    print(
        f"database after baro: {counts['feedback']} feedback rows (expected {expected}, one per phone: "
        f"{counts['contacts_with_feedback']} contacts with feedback,"
        f" at most {counts['max_feedback_per_contact']} each) "
        f"-> {'OK' if db_ok else 'MISMATCH'}"
    )
    print(
        f"  contacts {counts['contacts']}, messages stored in {counts['messages_in']} / out {counts['messages_out']}, "
        f"intake jobs queued in Redis {jobs if jobs is not None else '?'} (no worker runs during the bench)"
    )
    for result, log in ((baro, baro_log), (echo, echo_log)):
        if result.samples:
            print(f"\n{result.target}: first errors:")
            for sample in result.samples:
                print(f"  {sample}")
        if result.errors and log:
            print(f"{result.target}: server log tail:\n{log}")
    if args.verbose and baro.transcript:
        print(f"\nphone {phone_number(0)} with baro:")
        for text, reply in baro.transcript:
            print(f"  > {text}\n  < {reply}")
    return 0 if db_ok and not baro.errors and not echo.errors else 1


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` cleans up like Ctrl-C does
    try:
        return run(args)
    except KeyboardInterrupt:
        print("\ninterrupted; servers and Redis stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
