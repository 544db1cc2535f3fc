"""The providers' endpoints, built from the channel adapters' routes (bot.channels).

For each route: the body is read within MAX_BODY_BYTES (413), decoded as a strict UTF-8 form
(400), verified by its adapter (403), parsed into the route's form (400, with the reason), and
answered by the route's handler inside one transaction whose jobs go to RQ once it has committed.
Bad input is a 4xx with a plain-text reason, never a 500. While the database is down, a verified
request is kept in the spool and answered by its adapter's `spooled` (bot/spool), with a 2xx.
"""

import asyncio
import functools
import logging
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import PlainTextResponse, Response

from bot.channels.base import ChannelAdapter, ProviderForm, ProviderRequest, Refused, Route, TooLarge
from bot.handover import AfterCommit
from bot.runtime import Runtime
from bot.spool.languages import Listening, received
from bot.spool.replay import DATABASE_DOWN, kept_request
from bot.vocabulary import Channel
from bot.web.deps import RuntimeDep
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


def answer(
    runtime: Runtime, adapter: ChannelAdapter, route: Route, form: dict[str, str], parsed: ProviderForm
) -> Response:
    """A verified request answered by its route in one transaction, or kept in the spool while the database is down."""
    if runtime.spool.waiting():
        # Requests wait in the spool: this one goes behind them, so that a person's messages are taken in order.
        kept = keep(runtime, adapter, route, form, parsed)
        if kept is not None:
            return kept
    heard: list[tuple[str, str | None]] = []

    def work(db: Session, after: AfterCommit) -> Response:
        exchange = Listening.of(runtime.exchange(db, after))
        response = route.handle(parsed, exchange)
        heard[:] = exchange.heard  # a second run (a parallel commit of the same id) replaces the first's
        return response

    try:
        response = runtime.transactions.run(work)
    except DATABASE_DOWN as error:
        log.warning("database unavailable (%s): the request waits in the spool", type(error).__name__)
        return keep(runtime, adapter, route, form, parsed) or PlainTextResponse(
            "the database is unavailable", status_code=503
        )
    runtime.languages.remember(heard)
    return response


def keep(
    runtime: Runtime, adapter: ChannelAdapter, route: Route, form: dict[str, str], parsed: ProviderForm
) -> Response | None:
    """The request kept in the spool and the adapter's short answer; None if the adapter does not keep requests."""

    def notice(channel: Channel, sender: str) -> str:
        return received(runtime.catalogues, runtime.languages.of(sender), runtime.settings.alphabet(channel))

    response = adapter.spooled(parsed, notice)
    if response is None:
        return None
    try:
        runtime.spool.keep(kept_request(adapter, route, form))
    except OSError:
        log.exception("the spool cannot keep a request")
        return PlainTextResponse("the database is unavailable and the request cannot be kept", status_code=503)
    return response


def _endpoint(adapter: ChannelAdapter, route: Route):
    async def endpoint(request: Request, runtime: RuntimeDep) -> Response:
        settings = runtime.settings
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
        except Refused as refused:
            return refusal(refused)

        work = functools.partial(answer, runtime, adapter, route, form, parsed)
        return await asyncio.get_running_loop().run_in_executor(runtime.webhook_threads, work)

    endpoint.__name__ = f"{adapter.name}_{route.handle.__name__}"
    return endpoint


def provider_routes(adapters: tuple[ChannelAdapter, ...]) -> APIRouter:
    router = APIRouter(tags=["providers"])
    for adapter in adapters:
        for route in adapter.routes():
            router.add_api_route(route.path, _endpoint(adapter, route), methods=["POST"], summary=route.summary)
    return router
