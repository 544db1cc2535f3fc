"""Broadcasts at scale: (a) planning and enqueuing 100,000 recipients; (b) the pace each channel reaches, busy at once.

    .venv/bin/python bench/broadcast.py [--recipients 100000] [--sms-rate 10] [--whatsapp-rate 80]
                                        [--seconds 20] [--workers 2]
    BENCH_DATABASE_URL=postgresql+psycopg://…/scratch .venv/bin/python bench/broadcast.py   # on PostgreSQL

One self-contained run on loopback: a temporary directory, a fresh database (SQLite there, or the empty
scratch database BENCH_DATABASE_URL names: it is migrated and filled, never emptied), a private Redis on a
unix socket, random secrets, and the Twilio double (tests/twilio_double.py, a thread of this process).

(a) stores --recipients consenting contacts (numbers hashed and encrypted with the vault, in batches; not
timed), then times `create_broadcast`: choosing the audience, inserting one message per recipient, committing
and starting the bulk drains. That broadcast is then cancelled (not timed) so that (b) does not send it.

(b) stores SMS people and WhatsApp people (window open) for --seconds of each channel's pace, creates one
broadcast to all of them, starts --workers `baro worker` processes and, once nothing is left to send, measures
from the double's arrival times each channel's achieved rate, (count - 1) / (last - first), against its setting.
Exit status 0 when (a) took at most 10 s, every message of (b) went out exactly once and each channel reached
at least 0.95 of its pace.
"""

import argparse
import os
import secrets
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for path in (str(ROOT), str(BENCH)):
    if path not in sys.path:
        sys.path.insert(0, path)

from pacing import Workers, machine  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402
from webhook import prepare_database, server_env  # noqa: E402

from bot.broadcasts.audience import Audience  # noqa: E402
from bot.broadcasts.control import cancel  # noqa: E402
from bot.broadcasts.plan import create_broadcast  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.db import transaction  # noqa: E402
from bot.devserver import local_redis  # noqa: E402
from bot.models import Contact, Message, Site, utcnow  # noqa: E402
from bot.runtime import Runtime  # noqa: E402
from tests.twilio_double import TwilioDouble  # noqa: E402

PLAN_TARGET_SECONDS = 10.0
PACE_TARGET = 0.95
SMS_FROM, WHATSAPP_FROM = "+22360000000", "+22360000001"
TEXTS = {"fr": "Distribution de savon demain à 9 h au site.", "bm": "Safinɛ tilali bɛ kɛ sini sɔgɔma lɛrɛ 9."}


def store_people(runtime: Runtime, count: int, start: int, channel: str, site: str) -> None:
    """Consenting contacts, half French, half Bambara; WhatsApp ones wrote a minute ago (window open)."""
    vault, now = runtime.vault, utcnow()
    with runtime.database() as db:
        site_id = db.scalar(select(Site.id).where(Site.slug == site))
    rows = []
    for index in range(start, start + count):
        phone = f"+223{6 if channel == 'whatsapp' else 7}{index:07d}"
        rows.append(
            {
                "phone_hash": vault.lookup_hash(phone),
                "phone_encrypted": vault.encrypt(phone),
                "language": ("fr", "bm")[index % 2],
                "consent": "accepted",
                "consent_at": now,
                "created_at": now,
                "last_seen_at": now,
                "channel": channel,
                "site_id": site_id,
                "whatsapp_seen_at": now if channel == "whatsapp" else None,
            }
        )
    with transaction(runtime.database) as db:
        for begin in range(0, len(rows), 5000):
            db.execute(insert(Contact.__table__), rows[begin : begin + 5000])
        if channel == "whatsapp":
            ids = db.scalars(select(Contact.id).where(Contact.channel == "whatsapp", Contact.site_id == site_id)).all()
            inbound = [
                {
                    "contact_id": i,
                    "channel": "whatsapp",
                    "direction": "in",
                    "text": "I ni ce",
                    "created_at": now,
                    "confidential": False,
                    "redacted": False,
                    "attempts": 0,
                }
                for i in ids
            ]
            for begin in range(0, len(inbound), 5000):
                db.execute(insert(Message.__table__), inbound[begin : begin + 5000])


def plan(runtime: Runtime, recipients: int) -> float:
    """(a): seconds to plan and enqueue a broadcast to `recipients` people."""
    store_people(runtime, recipients, 1, "sms", "gao")
    started = time.perf_counter()
    sent = create_broadcast(runtime, None, TEXTS, Audience(sites=("gao",)), None)
    took = time.perf_counter() - started
    assert sent.recipients == recipients, sent.recipients
    cancel(runtime, sent.id)
    return took


def pace(runtime: Runtime, double: TwilioDouble, args, env: dict[str, str], tmp: Path) -> dict[str, tuple]:
    """(b): each channel's achieved rate, busy at once, with `args.workers` workers."""
    counts = {"sms": int(args.sms_rate * args.seconds), "whatsapp": int(args.whatsapp_rate * args.seconds)}
    store_people(runtime, counts["sms"], 5_000_001, "sms", "mopti")
    store_people(runtime, counts["whatsapp"], 1, "whatsapp", "mopti")
    sent = create_broadcast(runtime, None, TEXTS, Audience(sites=("mopti",)), None)  # both channels at once
    total = sent.recipients
    assert total == sum(counts.values()), total
    workers = Workers(args.workers, env, tmp)
    try:
        deadline = time.monotonic() + 60 + 2 * args.seconds
        while time.monotonic() < deadline and not workers.dead():
            with runtime.database() as db:
                left = db.scalar(
                    select(func.count(Message.id)).where(
                        Message.broadcast_id == sent.id,
                        Message.status.in_(("pending", "claimed", "retry")),
                    )
                )
            if not left:
                break
            time.sleep(0.5)
    finally:
        workers.stop()
    results = {}
    for channel, rate in (("sms", args.sms_rate), ("whatsapp", args.whatsapp_rate)):
        times = sorted(r.time for r in double.sent if r.form["To"].startswith("whatsapp:") == (channel == "whatsapp"))
        achieved = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
        results[channel] = (len(times), achieved, rate, achieved / rate)
    results["total"] = (len(double.sent), total)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--sms-rate", type=float, default=10.0)
    parser.add_argument("--whatsapp-rate", type=float, default=80.0)
    parser.add_argument("--seconds", type=float, default=20.0, help="of each channel's pace to send in (b)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    print(f"machine: {machine()}", flush=True)
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="baro-bench-")))
        db_url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp / 'baro.sqlite3'}"
        prepare_database(db_url)
        redis_url = stack.enter_context(local_redis(tmp / "redis", tmp / "redis.sock", persist=False))
        double = stack.enter_context(TwilioDouble("AC" + secrets.token_hex(16), secrets.token_hex(16)))
        values = dict(
            database_url=db_url,
            redis_url=redis_url,
            secret_key=secrets.token_urlsafe(32),
            twilio_account_sid=double.account_sid,
            twilio_auth_token=double.auth_token,
            twilio_api_url=double.url,
            twilio_sms_from=SMS_FROM,
            twilio_whatsapp_from=WHATSAPP_FROM,
            sms_provider="twilio",
            whatsapp_template_sid="",
            sms_per_second=repr(args.sms_rate),
            whatsapp_per_second=repr(args.whatsapp_rate),
            broadcast_quiet_hours="",
            var_dir=str(tmp),
        )
        runtime = Runtime(Settings(_env_file=None, **values))
        stack.callback(runtime.close)
        backend = db_url.split(":", 1)[0]

        planned = plan(runtime, args.recipients)
        print(
            f"(a) planning and enqueuing {args.recipients} recipients on {backend}: {planned:.2f} s "
            f"(target ≤ {PLAN_TARGET_SECONDS:g} s)",
            flush=True,
        )

        results = pace(runtime, double, args, server_env(**values), tmp)
    sent, total = results.pop("total")
    print(f"(b) {args.workers} workers, both channels busy at once; {sent} of {total} messages sent once each")
    ok = planned <= PLAN_TARGET_SECONDS and sent == total
    for channel, (count, achieved, rate, ratio) in results.items():
        print(
            f"    {channel:9} {count:6} sent  {achieved:7.2f}/s of {rate:g}/s  = {ratio:.3f} (target ≥ {PACE_TARGET})"
        )
        ok = ok and ratio >= PACE_TARGET
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
