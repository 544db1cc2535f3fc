"""`GET /metrics` for Prometheus, the timing of every request, and what a scrape reads from Redis and the database.

The counts themselves are defined in bot/metrics.py. `/metrics` answers a request from METRICS_NETWORKS
that came straight from there, or one with the METRICS_TOKEN bearer token; anyone else gets a 401 or 403
and no metric. A request that passed through a proxy (it carries a forwarding header) is not taken for
one from the proxy's network: behind nginx on the same host, every visitor would come from 127.0.0.1.

What a scrape reads now is bounded: RQ's queues in one Redis round trip (a second's timeout, no retry), alerts
pending in two counts over indexed columns (a second's statement timeout on PostgreSQL). A Redis or a database
that does not answer costs only its own metrics: `baro_metrics_source_up` says which were read.
"""

import hmac
import logging
import time
from collections.abc import Iterator
from ipaddress import IPv4Network, IPv6Network, ip_address

from fastapi import APIRouter, FastAPI, Request
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import choose_encoder
from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry
from rq import Queue
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot import metrics
from bot.handover import QUEUES
from bot.models import Feedback, ProtectionAlert, utcnow
from bot.runtime import Runtime
from bot.vocabulary import DONE
from bot.web.deps import RuntimeDep

log = logging.getLogger(__name__)

router = APIRouter()

# Any other method (a client may send anything) is counted as `other`: labels stay a small, fixed set.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")
SCRAPE_TIMEOUT_SECONDS = 1.0


def install(app: FastAPI) -> None:
    """Time every request (outermost of the middleware installed so far) and serve `/metrics`."""
    app.add_middleware(RequestMetrics)
    app.include_router(router)


class RequestMetrics:
    """ASGI middleware: each HTTP request counted and timed under its route's template, never its URL."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the server answers when an error escapes the app

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        metrics.request_started()
        try:
            await self.app(scope, receive, send_status)
        finally:
            method = scope["method"] if scope["method"] in METHODS else "other"
            metrics.request_answered(_template(scope), method, status, time.perf_counter() - started)


def _template(scope: Scope) -> str:
    """The template of the route the router chose (left in the scope), e.g. `/admin/cases/{reference}`."""
    route = scope.get("route")
    return getattr(route, "path_format", None) or getattr(route, "path", None) or "unrouted"


@router.get("/metrics", include_in_schema=False)
def scrape(request: Request, runtime: RuntimeDep) -> Response:
    """Every metric in Prometheus's text format, for a scraper from METRICS_NETWORKS or with METRICS_TOKEN."""
    settings = runtime.settings
    if _bearer_matches(request, settings.metrics_token) or _directly_from(request, settings.metrics_networks):
        # The format the scraper asks for (Prometheus's text or OpenMetrics), as prometheus-client's own server does.
        encode, content_type = choose_encoder(request.headers.get("accept", ""))
        return Response(encode(Scrape(runtime)), headers={"Content-Type": content_type})
    if settings.metrics_token:
        return PlainTextResponse("a bearer token is required", status_code=401, headers={"WWW-Authenticate": "Bearer"})
    return PlainTextResponse("metrics are not served to this address", status_code=403)


def _bearer_matches(request: Request, token: str) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def _directly_from(request: Request, networks: list[IPv4Network | IPv6Network]) -> bool:
    """Whether the request came straight (through no proxy) from an address in `networks`."""
    if request.client is None or any(name in request.headers for name in FORWARDING_HEADERS):
        return False
    try:
        address = ip_address(request.client.host)
    except ValueError:  # not an address (a Unix socket's peer, the test client's "testclient")
        return False
    # A server listening on [::] sees an IPv4 client as ::ffff:a.b.c.d.
    address = getattr(address, "ipv4_mapped", None) or address
    return any(address in network for network in networks)


class Scrape:
    """The collector of one scrape: what was counted, then what Redis and the database hold now."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime

    def collect(self) -> Iterator:
        yield from metrics.recorded(self.runtime.settings.metrics_dir)
        read = GaugeMetricFamily(
            "baro_metrics_source_up",
            "Whether this scrape could read the source (1) or not (0): `redis` for the queues, `database` for alerts.",
            labels=["source"],
        )
        for source, reader in (("redis", self._queues), ("database", self._alerts)):
            try:
                families = reader()
            except (RedisError, SQLAlchemyError) as error:
                log.warning("metrics: %s could not be read: %s", source, type(error).__name__)
                families = None
            read.add_metric([source], 0 if families is None else 1)
            yield from families or ()
        yield read

    def _queues(self) -> list[GaugeMetricFamily]:
        # Its own connection, without the retries and their backoff of the runtime's: a scrape waits a second at most.
        redis = Redis.from_url(
            self.runtime.settings.redis_url,
            socket_timeout=SCRAPE_TIMEOUT_SECONDS,
            socket_connect_timeout=SCRAPE_TIMEOUT_SECONDS,
            retry=Retry(NoBackoff(), 0),
        )
        with redis:
            counted, pipe = [], redis.pipeline(transaction=False)
            for name in QUEUES:
                queue = Queue(name, connection=redis)
                pipe.llen(queue.key)
                counted.append((name, "queued"))
                for state, registry in (
                    ("started", queue.started_job_registry),
                    ("scheduled", queue.scheduled_job_registry),
                    ("deferred", queue.deferred_job_registry),
                    ("failed", queue.failed_job_registry),
                ):
                    pipe.zcard(registry.key)
                    counted.append((name, state))
            counts = pipe.execute()
        jobs = GaugeMetricFamily(
            "baro_queue_jobs",
            "RQ jobs per queue and state (`queued`: waiting for a worker; `scheduled`: a retry after its backoff).",
            labels=["queue", "state"],
        )
        for (name, state), count in zip(counted, counts, strict=True):
            jobs.add_metric([name, state], count)
        return [jobs]

    def _alerts(self) -> list[GaugeMetricFamily]:
        now = utcnow()
        with self.runtime.database() as db:
            if db.get_bind().dialect.name == "postgresql":
                db.execute(text(f"SET LOCAL statement_timeout = {int(SCRAPE_TIMEOUT_SECONDS * 1000)}"))
            pending = db.scalar(
                select(func.count()).select_from(ProtectionAlert).where(ProtectionAlert.done_at.is_(None))
            )
            overdue = db.scalar(
                select(func.count())
                .select_from(Feedback)
                .where(
                    Feedback.confidential.is_(True),
                    Feedback.status.not_in(DONE),
                    Feedback.first_response_at.is_(None),
                    Feedback.due_at < now,
                )
            )
        return [
            GaugeMetricFamily(
                "baro_protection_alerts_pending",
                "Confidential reports whose alert to the protection focal points is not stored for sending yet"
                " (all of them while PROTECTION_ALERT_NUMBERS is empty).",
                value=pending,
            ),
            GaugeMetricFamily(
                "baro_confidential_reports_overdue",
                "Confidential reports past PROTECTION_DEADLINE_HOURS and not yet acknowledged.",
                value=overdue,
            ),
        ]
