"""CPU per message with no HTTP in between: the real app called as ASGI in this process, to compare versions.

    .venv/bin/python bench/turn_cpu.py [--database sqlite|postgresql] [--messages 3000] [--rounds 3] [--at-once 1]

bench/capacity.py measures from outside, as issue 14 asks; on a shared 2-core machine its figures move by a
third from one run to the next (its echo alone ran 1,800-3,100 requests/s within one session). This drives
the app `baro web` serves (create_app, its lifespan, every middleware) with the same signed requests as
capacity.py, one at a time after a warm-up (or N together: `--at-once N`, as at a peak, when turns share their
commits on SQLite: bot/turns.py), on a fresh migrated and seeded database and a private Redis. It prints
each round's process CPU per request and, one at a time, how much of it the answer took (what
bot.web.providers.answer runs: on the event loop on SQLite, in a webhook thread on PostgreSQL), then the best
round: the least disturbed, and steady enough from run to run to see a change of a few percent.
"""

import argparse
import asyncio
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

import uvloop

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.capacity import PUBLIC_URL, WEBHOOK_PATH, Requests, baro_env, database  # noqa: E402
from bot.devserver import local_redis  # noqa: E402

WARM_UP = 600  # requests: every step of the conversation, and SQLAlchemy's statement cache filled


def scope_of(body: bytes, signature: str) -> dict:
    headers = [
        (b"host", b"bench.invalid"),
        (b"content-type", b"application/x-www-form-urlencoded"),
        (b"content-length", str(len(body)).encode()),
        (b"x-twilio-signature", signature.encode()),
    ]
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": WEBHOOK_PATH,
        "raw_path": WEBHOOK_PATH.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


async def post(app, signature: str, body: str) -> int:
    """One request through the whole app; its status."""
    data, given, status = body.encode(), False, []

    async def receive() -> dict:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": data, "more_body": False}
        await asyncio.Event().wait()  # the client never disconnects

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    await app(scope_of(data, signature), receive, send)
    return status[0]


def measure(args: argparse.Namespace, tmp: Path) -> int:
    redis = local_redis(tmp / "redis", tmp / "redis.sock", persist=False)
    with redis as redis_url, database(args.database, tmp) as db_url:
        token = secrets.token_hex(16)
        # Only this run's settings: the environment's own baro settings are left out, and .env is not read.
        settings = baro_env(tmp, db_url, redis_url, token)
        os.environ.clear()
        os.environ.update(settings)
        from bot.app import create_app
        from bot.config import Settings
        from bot.web import providers

        turn_seconds = [0.0]
        answer = providers.answer

        async def timed_answer(*given):
            started = time.process_time()  # its webhook thread's too; nothing else runs meanwhile
            try:
                return await answer(*given)
            finally:
                turn_seconds[0] += time.process_time() - started

        providers.answer = timed_answer  # the turn's transaction and hand-over
        app = create_app(Settings(_env_file=None))
        rows = Requests(tmp, token).write(PUBLIC_URL + WEBHOOK_PATH, WARM_UP + args.messages)
        requests = [line.rstrip("\n").split("\t", 1) for line in rows.open()]
        per_round = args.messages // args.rounds

        async def run() -> list[tuple[float, float]]:
            rounds = []
            async with app.router.lifespan_context(app):
                for signature, body in requests[:WARM_UP]:
                    assert await post(app, signature, body) == 200
                for index in range(args.rounds):
                    start = WARM_UP + index * per_round
                    turn_seconds[0], cpu = 0.0, time.process_time()
                    batch = requests[start : start + per_round]
                    for first in range(0, len(batch), args.at_once):
                        sent = batch[first : first + args.at_once]
                        for status in await asyncio.gather(*(post(app, *request) for request in sent)):
                            if status != 200:
                                raise RuntimeError(f"the webhook answered {status}")
                    rounds.append(((time.process_time() - cpu) / per_round, turn_seconds[0] / per_round))
            return rounds

        rounds = uvloop.run(run())
    # Requests sent together overlap: the time each spent answering is not its own.
    part = (lambda turn: f", {turn * 1000:.3f} ms of it answering") if args.at_once == 1 else (lambda turn: "")
    print(f"{args.database}: {per_round} requests a round, {args.at_once} at once, after {WARM_UP} to warm up")
    for cpu, turn in rounds:
        print(f"  round: {cpu * 1000:.3f} ms of CPU per request{part(turn)}")
    cpu, turn = min(rounds)
    print(f"best round: {cpu * 1000:.3f} ms per request{part(turn)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--messages", type=int, default=3000, help="measured requests, after the warm-up")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--at-once", type=int, default=1, help="requests sent together, as at a peak (default 1)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="baro-turn-") as tmp:
        return measure(args, Path(tmp))


if __name__ == "__main__":
    sys.exit(main())
