"""What baro counts for Prometheus (prometheus-client), and the calls the code makes to count it.

Counting where it happens costs one counter increment or one histogram observation, never a query; what is
read from Redis and the database (queue depths, alerts pending) is read when `/metrics` is scraped
(bot/web/metrics.py). Labels are codes only (route templates, channels, statuses, kinds): never a phone
number, a text or a reference.

Under `baro web` and `baro worker` each process keeps its values in files of its own (prometheus-client's
multi-process mode) under METRICS_DIR: `web/` for gunicorn's workers, `worker/` for the RQ pool's, each
emptied when its command starts. A scrape of any web process adds up every file of its host, so the
workers' sends show there too. prometheus-client chooses files or memory when it is first imported: the
CLI sets PROMETHEUS_MULTIPROC_DIR before anything imports this module. Elsewhere (the tests, `uvicorn` run
by hand) the values are in this process's memory only.
"""

import logging
import os
from collections import Counter as Tally
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

log = logging.getLogger(__name__)

# baro's own registry, not the library's default one: what a scrape shows is only what is defined here.
REGISTRY = CollectorRegistry()

REQUESTS = Counter(
    "baro_http_requests",
    "HTTP requests answered, by route template (`unrouted`: matched no route), method and status code.",
    ("route", "method", "status"),
    registry=REGISTRY,
)
# Up to Twilio's 15 s, after which it gives up on a webhook.
REQUEST_SECONDS = Histogram(
    "baro_http_request_duration_seconds",
    "Seconds from a request's arrival to the end of its answer, by route template and method.",
    ("route", "method"),
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15),
    registry=REGISTRY,
)
# Summed over the live processes: a dead worker's requests leave with it (gunicorn's child_exit, below).
IN_FLIGHT = Gauge(
    "baro_http_requests_in_flight",
    "HTTP requests being answered now.",
    multiprocess_mode="livesum",
    registry=REGISTRY,
)
MESSAGES = Counter(
    "baro_messages",
    "Messages by direction, channel and status: inbound `received` when stored; outbound `replied` (the answer"
    " in a webhook's response), then each status a send reaches (`queued`: the provider has it; `retry`,"
    " `failed`, `unknown`, `cancelled`) and each delivery report that moves it on (`sent`, `delivered`,"
    " `undelivered`, `failed`, `read`).",
    ("direction", "channel", "status"),
    registry=REGISTRY,
)
SUBMISSIONS = Counter(
    "baro_submissions",
    "Submissions stored (complaints, needs, confidential reports, assembly sign-ups), by kind and channel.",
    ("kind", "channel"),
    registry=REGISTRY,
)
# 0: a slot was free at once; a bulk drain waits about 1/pace per message.
PACING_SECONDS = Histogram(
    "baro_pacing_wait_seconds",
    "Seconds a send waited for its channel's next slot (the pace every worker shares), by channel.",
    ("channel",),
    buckets=(0, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
    registry=REGISTRY,
)


# A metric's child for given label values, looked up once: `labels()` costs as much again as the increment. The
# values are codes from a fixed set, so these stay small.
_message = cache(MESSAGES.labels)
_request = cache(REQUESTS.labels)
_request_seconds = cache(REQUEST_SECONDS.labels)


def _failed(error: OSError) -> None:
    # Multi-process values are files: a full disk or a deleted METRICS_DIR must cost a metric, never a message.
    log.warning("a metric was not recorded: %s", error)


def count_message(direction: str, channel: str, status: str, amount: int = 1) -> None:
    try:
        _message(direction, channel, status).inc(amount)
    except OSError as error:
        _failed(error)


def count_sends(channel: str, statuses: Iterable[str]) -> None:
    """Outbound messages of `channel` that reached `statuses`, one each (a drain's batch)."""
    for status, amount in Tally(statuses).items():
        count_message("out", channel, status, amount)


def count_submission(kind: str, channel: str) -> None:
    try:
        SUBMISSIONS.labels(kind, channel).inc()
    except OSError as error:
        _failed(error)


def observe_pacing(channel: str, seconds: float) -> None:
    try:
        PACING_SECONDS.labels(channel).observe(seconds)
    except OSError as error:
        _failed(error)


def request_started() -> None:
    try:
        IN_FLIGHT.inc()
    except OSError as error:
        _failed(error)


def request_answered(route: str, method: str, status: int, seconds: float) -> None:
    try:
        IN_FLIGHT.dec()
        _request(route, method, status).inc()
        _request_seconds(route, method).observe(seconds)
    except OSError as error:
        _failed(error)


def multiprocess() -> bool:
    """Whether this process keeps its values in files (set up by the CLI, see the module's docstring)."""
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def recorded(metrics_dir: Path) -> Iterable:
    """Every value counted so far: from the files of every process of this host, or from this process's memory."""
    if multiprocess():
        return MultiProcessCollector.merge([str(path) for path in metrics_dir.glob("*/*.db")])
    return REGISTRY.collect()


def child_exit(_server, worker) -> None:
    """gunicorn's hook when a worker has ended: its live values (requests in flight) are no longer summed."""
    if multiprocess():
        mark_process_dead(worker.pid)
