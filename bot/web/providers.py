"""The providers' endpoints, built from the channel adapters' routes (bot.channels).

For each route: the body is read within MAX_BODY_BYTES (413), decoded as a strict UTF-8 form
(400), verified by its adapter (403), parsed into the route's form (400, with the reason), and
answered by the route's handler inside one transaction whose jobs go to RQ once it has committed.
Bad input is a 4xx with a plain-text reason, never a 500. While the database is down, a verified
request is kept in the spool and answered by its adapter's `spooled` (bot/spool), with a 2xx.
"""

import asyncio
import logging
from collections.abc import Iterator
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.channels.base import ChannelAdapter, ProviderForm, ProviderRequest, Refused, Route, TooLarge
from bot.handover import AfterCommit
from bot.runtime import Runtime
from bot.spool.languages import Listening, received
from bot.spool.replay import DATABASE_DOWN, kept_request
from bot.vocabulary import Channel
from bot.whole_numbers import whole_number

log = logging.getLogger(__name__)


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused past `limit` bytes without reading it all."""
    if (whole_number(request.headers.get("content-length")) or 0) > limit:
        raise TooLarge("body too large")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TooLarge("body too large")
    return bytes(body)


def parse_form(body: bytes) -> dict[str, str]:
    """A form body, strictly UTF-8 (percent-escapes included): providers never send anything else."""
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict"))
    except UnicodeDecodeError as error:
        raise Refused("the form is not valid UTF-8") from error


def _reason(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'form'}: {e['msg']}" for e in error.errors())


def refusal(error: Refused) -> Response:
    return PlainTextResponse(str(error), status_code=error.status)


async def answer(
    runtime: Runtime, adapter: ChannelAdapter, route: Route, form: dict[str, str], parsed: ProviderForm
) -> Response:
    """A verified request answered by its route in one turn, or kept in the spool while the database is down.

    The turn runs on the event loop, committed with the turns read with it (bot.turns), or in a webhook
    thread in a transaction of its own (WEBHOOK_THREADS), with everything around it: the spool, the
    languages heard, so that the loop only reads and writes requests.
    """
    turn = Turn(runtime, adapter, route, form, parsed)
    if runtime.webhook_threads is None:
        return await turn.on_the_loop()
    return await asyncio.get_running_loop().run_in_executor(runtime.webhook_threads, turn.in_a_thread)


class Turn:
    """One request's answer: what comes before its transaction, the work in it, and what comes after."""

    def __init__(
        self, runtime: Runtime, adapter: ChannelAdapter, route: Route, form: dict[str, str], parsed: ProviderForm
    ):
        self.runtime, self.adapter, self.route, self.form, self.parsed = runtime, adapter, route, form, parsed
        self.heard: list[tuple[str, str | None]] = []

    async def on_the_loop(self) -> Response:
        if (kept := self.behind_the_spool()) is not None:
            return kept
        try:
            response = await self.runtime.turns_on_the_loop().run(self.work)
        except DATABASE_DOWN as error:
            return self.database_down(error)
        return self.answered(response)

    def in_a_thread(self) -> Response:
        if (kept := self.behind_the_spool()) is not None:
            return kept
        try:
            response = self.runtime.transactions.run(self.work)
        except DATABASE_DOWN as error:
            return self.database_down(error)
        return self.answered(response)

    def behind_the_spool(self) -> Response | None:
        """Kept in the spool if requests wait there: it goes behind them, so a person's messages are taken in order."""
        return self.keep() if self.runtime.spool.waiting() else None

    def work(self, db: Session, after: AfterCommit) -> Response:
        exchange = Listening.of(self.runtime.exchange(db, after))
        response = self.route.handle(self.parsed, exchange)
        self.heard[:] = exchange.heard  # a second run (a parallel commit of the same id) replaces the first's
        return response

    def database_down(self, error: Exception) -> Response:
        log.warning("database unavailable (%s): the request waits in the spool", type(error).__name__)
        return self.keep() or PlainTextResponse("the database is unavailable", status_code=503)

    def keep(self) -> Response | None:
        """The request kept in the spool and the adapter's short answer; None if the adapter does not keep requests."""
        runtime = self.runtime

        def notice(channel: Channel, sender: str) -> str:
            return received(runtime.catalogues, runtime.languages.of(sender), runtime.settings.alphabet(channel))

        response = self.adapter.spooled(self.parsed, notice)
        if response is None:
            return None
        try:
            runtime.spool.keep(kept_request(self.adapter, self.route, self.form))
        except OSError:
            log.exception("the spool cannot keep a request")
            return PlainTextResponse("the database is unavailable and the request cannot be kept", status_code=503)
        return response

    def answered(self, response: Response) -> Response:
        self.runtime.languages.remember(self.heard)
        return response


class ProviderEndpoint:
    """One provider route, answered as a plain ASGI app.

    Every message comes this way: ProviderGate hands it here before the staff side's middleware, FastAPI's
    routing and its dependencies, which cost as much as the checks below (bench/capacity.py).
    """

    def __init__(self, adapter: ChannelAdapter, route: Route):
        self.adapter, self.route = adapter, route

    async def respond(self, request: Request) -> Response:
        runtime: Runtime = request.app.state.runtime
        settings, adapter, route = runtime.settings, self.adapter, self.route
        try:
            form = parse_form(await read_body(request, settings.max_body_bytes))
            # Providers sign the public URL they called, which a proxy may hide from us.
            url = settings.public_url + request.url.path + (f"?{request.url.query}" if request.url.query else "")
            adapter.verify(ProviderRequest(url, request.query_params, request.headers, form), settings)
            try:
                # The query too: a signed action URL may say where the provider is (a call's step: channels.voice).
                context = {"max_text_chars": settings.max_text_chars, "query": dict(request.query_params)}
                parsed = route.form.model_validate(form, context=context)
            except ValidationError as error:
                raise Refused(_reason(error)) from error
            return await answer(runtime, adapter, route, form, parsed)
        except Refused as refused:  # the checks above, or a reused message id found while answering
            return refusal(refused)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.respond(Request(scope, receive))
        await response(scope, receive, send)


class ProviderGate:
    """ASGI middleware: a provider's POST goes straight to its endpoint; anything else on to the application."""

    def __init__(self, app: ASGIApp, adapters: tuple[ChannelAdapter, ...]):
        self.app = app
        self.endpoints = {route.path: ProviderEndpoint(adapter, route) for adapter, route in _routes(adapters)}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = self.endpoints.get(scope["path"]) if scope["type"] == "http" and scope["method"] == "POST" else None
        if endpoint is None:
            await self.app(scope, receive, send)
            return
        scope["route"] = endpoint.route  # what the request metrics name it by (bot.web.metrics)
        await endpoint(scope, receive, send)


def _routes(adapters: tuple[ChannelAdapter, ...]) -> Iterator[tuple[ChannelAdapter, Route]]:
    return ((adapter, route) for adapter in adapters for route in adapter.routes())


def provider_routes(adapters: tuple[ChannelAdapter, ...]) -> APIRouter:
    """The same endpoints as FastAPI routes: in the OpenAPI schema, and answering any other method with a 405."""
    router = APIRouter(tags=["providers"])
    for adapter, route in _routes(adapters):
        endpoint = ProviderEndpoint(adapter, route).respond
        name = f"{adapter.name}_{route.handle.__name__}"
        router.add_api_route(route.path, endpoint, methods=["POST"], summary=route.summary, name=name)
    return router
