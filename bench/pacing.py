"""Outbound pacing under real RQ workers: the rate each channel achieves against its setting.

    .venv/bin/python bench/pacing.py [--sms-rate 5] [--whatsapp-rate 20] [--messages 60] [--workers 2]

One self-contained run, on loopback only, leaving nothing behind: a temporary directory with a
fresh SQLite database (migrated and seeded), a private Redis on a unix socket, random secrets
and Twilio credentials, and a local double of the Twilio Messages API (tests/twilio_double.py,
a thread of this process) holding those credentials. It stores --messages SMS and --messages
WhatsApp messages to consenting contacts (WhatsApp ones with their 24 h window open), half in
the reply lane and half in the bulk lane, interleaved, enqueues a send job for each, then
starts --workers `baro worker` processes that share the per-channel limit through Redis and
send with the real Twilio SDK to the double. Once no message is pending or claimed any more,
the workers are stopped and the sends the double recorded are measured per channel: count,
span, achieved rate against the setting, gaps between consecutive sends, duplicates, and the
order of reply-lane against bulk-lane sends. Everything it started is stopped at the end, on
error and on Ctrl-C too.
"""

import argparse
import os
import platform
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for path in (str(ROOT), str(BENCH)):
    if path not in sys.path:
        sys.path.insert(0, path)

from sqlalchemy import func, select  # noqa: E402
from webhook import _die_with_parent, _tail, positive, prepare_database, server_env  # noqa: E402

from bot.db import make_engine, make_sessionmaker, transaction  # noqa: E402
from bot.devserver import local_redis  # noqa: E402
from bot.handover import LANE_QUEUES, enqueue_sends  # noqa: E402
from bot.models import Contact, Message, utcnow  # noqa: E402
from bot.outbound.store import queue_message  # noqa: E402
from bot.phones import WHATSAPP_PREFIX  # noqa: E402
from bot.vault import Vault  # noqa: E402
from tests.twilio_double import TwilioDouble  # noqa: E402

CHANNELS = ("sms", "whatsapp")
SMS_FROM = "+22360000000"  # the feedback line's numbers
WHATSAPP_FROM = "+22360000001"
TOLERANCE = 0.05  # the achieved rate may exceed the setting by this much (clock and request jitter)
# Statuses a message passes through before the provider has it; any other means this run is done with it.
IN_FLIGHT = ("pending", "claimed")


# --- the run's resources -----------------------------------------------------------------


def contact_phone(channel: str, index: int) -> str:
    """Distinct Malian mobile numbers: +2237 for SMS contacts, +2236 for WhatsApp ones."""
    return f"+2237{index + 1:07d}" if channel == "sms" else f"+2236{index + 1:07d}"


def body(channel: str, index: int, lane: str) -> str:
    """Every body names its message, so a duplicate send shows as a repeated body."""
    return f"[pacing {channel} {index} {lane}] Votre message a bien été reçu, merci."


@dataclass
class Queued:
    id: int
    channel: str
    lane: str
    body: str


def create_messages(db_url: str, secret_key: str, messages: int, contacts_per_channel: int) -> list[Queued]:
    """Contacts who accepted consent (WhatsApp ones wrote an hour ago) and the outbound messages, interleaved."""
    vault = Vault(secret_key)
    engine = make_engine(db_url)
    try:
        with transaction(make_sessionmaker(engine)) as db:
            contacts: dict[str, list[int]] = {}
            for channel in CHANNELS:
                contacts[channel] = []
                for index in range(contacts_per_channel):
                    phone = contact_phone(channel, index)
                    contact = Contact(
                        phone_hash=vault.lookup_hash(phone),
                        phone_encrypted=vault.encrypt(phone),
                        language="fr",
                        consent="accepted",
                        consent_at=utcnow(),
                    )
                    db.add(contact)
                    db.flush()
                    contacts[channel].append(contact.id)
                    if channel == "whatsapp":  # the 24 h window is open: free text, no template
                        db.add(
                            Message(
                                contact_id=contact.id,
                                channel="whatsapp",
                                direction="in",
                                provider_id="SM" + secrets.token_hex(16),
                                text="Bonjour",
                                created_at=utcnow(),
                            )
                        )
            queued = []
            for index in range(messages):
                lane = "reply" if index % 2 == 0 else "bulk"
                for channel in CHANNELS:
                    text = body(channel, index, lane)
                    contact_id = contacts[channel][index % contacts_per_channel]
                    message = queue_message(db, contact_id, channel, text, lane)
                    queued.append(Queued(message.id, channel, lane, text))
        return queued
    finally:
        engine.dispose()


def worker_command() -> list[str]:
    """`baro worker`: this installation's console script, or the same entry point through Python."""
    script = Path(sys.executable).with_name("baro")
    if script.exists():
        return [str(script), "worker"]
    return [sys.executable, "-c", "from bot.cli import app; app(prog_name='baro')", "worker"]


class Workers:
    """`baro worker` subprocesses, each in its own process group (the worker and its work-horses)."""

    def __init__(self, count: int, env: dict[str, str], log_dir: Path):
        self.logs = [log_dir / f"worker-{n + 1}.log" for n in range(count)]
        self.processes: list[subprocess.Popen] = []
        self.stopped = False
        for log_path in self.logs:
            with open(log_path, "wb") as log:
                self.processes.append(
                    subprocess.Popen(
                        worker_command(),
                        cwd=ROOT,
                        env=env,
                        stdin=subprocess.DEVNULL,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,  # Ctrl-C reaches only us; we stop them in order
                        preexec_fn=_die_with_parent,
                    )
                )

    def dead(self) -> list[int]:
        return [n for n, process in enumerate(self.processes) if process.poll() is not None]

    def stop(self) -> None:
        """SIGTERM (RQ's warm shutdown: the current job finishes), then SIGKILL to whatever is left of the group."""
        if self.stopped:
            return
        self.stopped = True
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + 15
        for process in self.processes:
            with suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            # the group is the one this script created: the worker and any work-horse it forked
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def message_statuses(sessions) -> Counter:
    with sessions() as db:
        rows = db.execute(
            select(Message.status, func.count()).where(Message.direction == "out").group_by(Message.status)
        ).all()
    return Counter({status: count for status, count in rows})


def failed_jobs(redis) -> int:
    from rq import Queue

    return sum(Queue(name, connection=redis).failed_job_registry.count for name in LANE_QUEUES.values())


def wait_until_sent(db_url: str, redis, workers: Workers, total: int, timeout: float) -> tuple[Counter, float, str]:
    """Poll the database until no message is pending or claimed; (statuses, seconds waited, why it stopped)."""
    engine = make_engine(db_url)
    try:
        return _wait(make_sessionmaker(engine), redis, workers, total, timeout)
    finally:
        engine.dispose()


def _wait(sessions, redis, workers: Workers, total: int, timeout: float) -> tuple[Counter, float, str]:
    started = time.monotonic()
    last_report = started
    while True:
        statuses = message_statuses(sessions)
        waiting = sum(statuses[s] for s in IN_FLIGHT)
        elapsed = time.monotonic() - started
        if waiting == 0:
            return statuses, elapsed, "all messages left pending/claimed"
        if workers.dead():
            return statuses, elapsed, f"worker(s) {[n + 1 for n in workers.dead()]} exited early"
        stuck = failed_jobs(redis)
        if stuck and stuck >= waiting:
            return statuses, elapsed, f"{stuck} send job(s) failed in RQ, {waiting} message(s) still waiting"
        if elapsed > timeout:
            return statuses, elapsed, f"timeout after {timeout:.0f} s, {waiting} message(s) still waiting"
        if time.monotonic() - last_report >= 5:
            print(f"  {elapsed:5.1f} s: {total - waiting}/{total} sent", flush=True)
            last_report = time.monotonic()
        time.sleep(0.1)


def jobs_per_worker(redis, queued: list[Queued], pids: list[int]) -> list[str]:
    """Per worker process: the send jobs it ran (RQ records the worker's name on each job), how long
    they took (started -> ended, the pacer's wait included) and the time between one job's end and
    its next one's start (dequeue and fork of the work-horse)."""
    from rq import Worker
    from rq.job import Job

    names = {worker.name: worker.pid for worker in Worker.all(connection=redis)}
    runs: dict[str, list[tuple[float, float]]] = {}
    for job in Job.fetch_many([f"send-{q.id}" for q in queued], connection=redis):
        if job is None:
            continue
        pid = names.get(job.worker_name)
        who = f"worker {pids.index(pid) + 1}" if pid in pids else "unknown worker"
        if job.started_at and job.ended_at:
            runs.setdefault(who, []).append((job.started_at.timestamp(), job.ended_at.timestamp()))
        else:
            runs.setdefault(who, [])
    lines = []
    for who, spans in sorted(runs.items()):
        spans.sort()
        durations = [(end - start) * 1000 for start, end in spans]
        between = [(start - end) * 1000 for (_, end), (start, _) in pairwise(spans)]
        lines.append(
            f"{who}: {len(spans)} jobs,"
            f" job {_num(statistics.fmean(durations) if durations else float('nan'), '.0f')} ms mean"
            f" (pacer wait included), {_num(statistics.median(between) if between else float('nan'), '.0f')} ms median"
            " from one job's end to the next one's start"
        )
    return lines


# --- the measurements --------------------------------------------------------------------


@dataclass
class ChannelResult:
    channel: str
    setting: float
    expected: int
    times: list[float] = field(default_factory=list)  # monotonic arrival at the double, in order
    lanes: list[str] = field(default_factory=list)  # the lane of each send, same order
    duplicates: int = 0  # sends beyond the first of the same message
    unknown: int = 0  # sends whose body carries no marker of this run

    @property
    def count(self) -> int:
        return len(self.times)

    @property
    def span(self) -> float:
        return self.times[-1] - self.times[0] if self.count > 1 else 0.0

    @property
    def achieved(self) -> float:
        return (self.count - 1) / self.span if self.span > 0 else float("nan")

    @property
    def ratio(self) -> float:
        return self.achieved / self.setting

    @property
    def gaps_ms(self) -> list[float]:
        return [(later - earlier) * 1000 for earlier, later in pairwise(self.times)]

    def mean_position(self, lane: str) -> float:
        positions = [i for i, sent in enumerate(self.lanes) if sent == lane]
        return statistics.fmean(positions) if positions else float("nan")

    def ideal_position(self, lane: str) -> float:
        """The mean position of `lane` if every reply went before every bulk message."""
        replies = self.lanes.count("reply")
        n = self.lanes.count(lane)
        first = 0 if lane == "reply" else replies
        return first + (n - 1) / 2 if n else float("nan")

    @property
    def bulk_before_a_reply(self) -> int:
        """Bulk sends that went out before the channel's last reply."""
        if "reply" not in self.lanes:
            return 0
        last_reply = len(self.lanes) - 1 - self.lanes[::-1].index("reply")
        return self.lanes[:last_reply].count("bulk")

    @property
    def too_fast(self) -> bool:
        return self.count > 1 and self.achieved > self.setting * (1 + TOLERANCE)


def measure(
    double: TwilioDouble, queued: list[Queued], rates: dict[str, float], messages: int
) -> dict[str, ChannelResult]:
    results = {channel: ChannelResult(channel, rates[channel], messages) for channel in CHANNELS}
    lanes = {q.body: q.lane for q in queued}
    seen: Counter = Counter()
    for record in sorted(double.sent, key=lambda r: r.time):
        to = record.form.get("To", "")
        channel = "whatsapp" if to.startswith(WHATSAPP_PREFIX) else "sms"
        result = results[channel]
        text = record.form.get("Body", "")
        seen[text] += 1
        if seen[text] > 1:
            result.duplicates += 1
        if text not in lanes:
            result.unknown += 1
        result.times.append(record.time)
        result.lanes.append(lanes.get(text, "?"))
    return results


# --- the report --------------------------------------------------------------------------


def machine() -> str:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    from importlib.metadata import version

    return (
        f"nproc {usable} (cpu_count {os.cpu_count()}), Python {platform.python_version()} "
        f"({platform.python_implementation()}), {platform.system()} {platform.release()} {platform.machine()}; "
        f"rq {version('rq')}, redis-py {version('redis')}, twilio {version('twilio')}"
    )


def _num(value: float, spec: str) -> str:
    return "-" if value != value else format(value, spec)  # NaN as a dash


def table(results: dict[str, ChannelResult]) -> str:
    header = (
        f"{'channel':<9} {'sent':>5} {'expect':>6} {'span s':>7} {'msg/s':>7} {'setting':>7} {'ratio':>6}"
        f" {'min gap ms':>10} {'median gap':>10} {'max gap':>8} {'1/rate ms':>9} {'dupes':>5}"
    )
    rows = [header, "-" * len(header)]
    for r in results.values():
        gaps = r.gaps_ms
        rows.append(
            f"{r.channel:<9} {r.count:>5} {r.expected:>6} {r.span:>7.2f} {_num(r.achieved, '.2f'):>7} {r.setting:>7g}"
            f" {_num(r.ratio, '.3f'):>6} {_num(min(gaps) if gaps else float('nan'), '.1f'):>10}"
            f" {_num(statistics.median(gaps) if gaps else float('nan'), '.1f'):>10}"
            f" {_num(max(gaps) if gaps else float('nan'), '.1f'):>8} {1000 / r.setting:>9.1f}"
            f" {r.duplicates:>5}"
        )
    rows.append("")
    header = (
        f"{'channel':<9} {'reply mean pos':>14} {'(ideal)':>8} {'bulk mean pos':>13} {'(ideal)':>8}"
        f" {'bulk before last reply':>22}"
    )
    rows += [header, "-" * len(header)]
    for r in results.values():
        rows.append(
            f"{r.channel:<9} {_num(r.mean_position('reply'), '.1f'):>14} {_num(r.ideal_position('reply'), '.1f'):>8}"
            f" {_num(r.mean_position('bulk'), '.1f'):>13} {_num(r.ideal_position('bulk'), '.1f'):>8}"
            f" {r.bulk_before_a_reply:>22}"
        )
    return "\n".join(rows)


# --- main --------------------------------------------------------------------------------


def rate(value: str) -> float:
    number = float(value)
    if not number > 0:
        raise argparse.ArgumentTypeError("must be positive")
    return number


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sms-rate", type=rate, default=5.0, help="SMS_PER_SECOND for the run (default 5)")
    parser.add_argument("--whatsapp-rate", type=rate, default=20.0, help="WHATSAPP_PER_SECOND for the run (default 20)")
    parser.add_argument(
        "--messages", type=positive, default=60, help="messages per channel, half reply, half bulk (default 60)"
    )
    parser.add_argument("--workers", type=positive, default=2, help="`baro worker` processes (default 2)")
    parser.add_argument(
        "--timeout", type=float, default=None, help="seconds to wait for the sends (default from the rates)"
    )
    return parser.parse_args(argv)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def run(args: argparse.Namespace) -> int:
    from redis import Redis

    rates = {"sms": args.sms_rate, "whatsapp": args.whatsapp_rate}
    total = 2 * args.messages
    # Worst case the channels take turns (a worker waiting for an SMS slot sends no WhatsApp): their times add up.
    timeout = args.timeout or 30 + 2 * sum(args.messages / r for r in rates.values())
    print(
        f"parameters: messages {args.messages} per channel ({total} in all, half reply, half bulk, interleaved), "
        f"workers {args.workers}, SMS_PER_SECOND {args.sms_rate:g}, WHATSAPP_PER_SECOND {args.whatsapp_rate:g}, "
        f"timeout {timeout:.0f} s",
        flush=True,
    )
    print(f"machine: {machine()}", flush=True)

    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="baro-bench-")))
        db_url = f"sqlite:///{tmp / 'baro.sqlite3'}"
        prepare_database(db_url)
        redis_url = stack.enter_context(local_redis(tmp / "redis", tmp / "redis.sock", persist=False))
        redis = stack.enter_context(Redis.from_url(redis_url))
        secret_key = secrets.token_urlsafe(32)
        double = stack.enter_context(TwilioDouble("AC" + secrets.token_hex(16), secrets.token_hex(16)))

        queued = create_messages(db_url, secret_key, args.messages, min(args.messages, 20))
        enqueued = enqueue_sends(redis, [(q.id, q.lane) for q in queued], attempts=5, retry_seconds=[1, 2, 5, 10])
        print(
            f"stored and enqueued {enqueued}/{len(queued)} messages; {db_url}, {redis_url}, double {double.url}",
            flush=True,
        )

        env = server_env(
            database_url=db_url,
            redis_url=redis_url,
            secret_key=secret_key,
            twilio_account_sid=double.account_sid,
            twilio_auth_token=double.auth_token,
            twilio_api_url=double.url,
            twilio_sms_from=SMS_FROM,
            twilio_whatsapp_from=WHATSAPP_FROM,
            sms_provider="twilio",
            whatsapp_template_sid="",
            sms_per_second=repr(args.sms_rate),
            whatsapp_per_second=repr(args.whatsapp_rate),
            var_dir=str(tmp),
        )
        started = time.monotonic()
        workers = Workers(args.workers, env, tmp)
        stack.callback(workers.stop)
        print(f"started {args.workers} worker(s): pids {[p.pid for p in workers.processes]}", flush=True)
        statuses, waited, why = wait_until_sent(db_url, redis, workers, total, timeout)
        per_worker = jobs_per_worker(redis, queued, [p.pid for p in workers.processes])
        stuck_jobs = failed_jobs(redis)
        workers.stop()
        logs = {log.name: _tail(log, 15) for log in workers.logs}

    results = measure(double, queued, rates, args.messages)
    first_send = min((r.times[0] for r in results.values() if r.times), default=None)
    print(f"\nwaited {waited:.2f} s after starting the workers: {why}")
    if first_send is not None:
        last_send = max(r.times[-1] for r in results.values() if r.times)
        print(
            f"first send {first_send - started:.2f} s after starting the workers (their start-up),"
            f" last {last_send - started:.2f} s"
        )
    print(f"message statuses: {dict(sorted(statuses.items()))}; RQ failed send jobs: {stuck_jobs}")
    print("send jobs per worker process:")
    for line in per_worker:
        print(f"  {line}")
    print()
    print(table(results))
    print()

    problems = []
    not_sent = total - statuses["queued"]
    if not_sent:
        problems.append(f"{not_sent} message(s) not handed to the provider (status other than queued)")
    for r in results.values():
        if r.count - r.duplicates - r.unknown != r.expected:
            problems.append(
                f"{r.channel}: {r.count - r.duplicates - r.unknown} distinct messages sent, expected {r.expected}"
            )
        if r.duplicates:
            problems.append(f"{r.channel}: {r.duplicates} message(s) sent more than once")
        if r.unknown:
            problems.append(f"{r.channel}: {r.unknown} send(s) not from this run")
        if r.too_fast:
            problems.append(
                f"{r.channel}: achieved {r.achieved:.2f}/s exceeds the setting {r.setting:g}/s"
                f" by more than {TOLERANCE:.0%}"
            )
    if problems:
        print("FAIL:")
        for problem in problems:
            print(f"  {problem}")
        for name, log in logs.items():
            if log:
                print(f"\n{name} tail:\n{log}")
        return 1
    print(f"OK: every message sent once, no channel above its setting (+{TOLERANCE:.0%})")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` cleans up like Ctrl-C does
    try:
        return run(args)
    except KeyboardInterrupt:
        print("\ninterrupted; workers, the Twilio double and Redis stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
