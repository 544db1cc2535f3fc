"""HTTP endpoints the providers call."""

import logging

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.exc import IntegrityError

from bot.channels import twilio
from bot.channels.base import BadRequest, InboundMessage, TooLarge
from bot.db import transaction
from bot.queue import enqueue_intake
from bot.runtime import Runtime

log = logging.getLogger(__name__)
router = APIRouter()

XML = "application/xml"


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused past `limit` bytes without reading it all."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise TooLarge("body too large")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TooLarge("body too large")
    return bytes(body)


def handle_message(runtime: Runtime, inbound: InboundMessage) -> str | None:
    """Store and answer one message; a concurrent retry of the same message gets the first answer."""
    conversations = runtime.conversations
    try:
        with transaction(runtime.sessions) as db:
            handled = conversations.handle(db, inbound)
    except IntegrityError:
        # The same provider id committed by a parallel request: answer as a retry.
        with transaction(runtime.sessions) as db:
            handled = conversations.handle(db, inbound)
    if handled.feedback_ids:
        enqueue_intake(runtime.redis, handled.feedback_ids)
    return handled.reply


@router.post("/webhooks/twilio/messaging")
async def twilio_messaging(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    settings = runtime.settings
    try:
        body = await read_body(request, settings.max_body_bytes)
        params = twilio.parse_form(body)
    except BadRequest as error:
        return Response(str(error), status_code=error.status, media_type="text/plain")
    # Twilio signs the public URL it called, which a proxy may hide from us.
    url = settings.public_url + request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if not twilio.signature_is_valid(settings.twilio_auth_token, url, params, request.headers.get("x-twilio-signature")):
        return Response("invalid signature", status_code=403, media_type="text/plain")
    try:
        inbound = twilio.to_inbound(params, settings.max_text_chars)
    except BadRequest as error:
        return Response(str(error), status_code=error.status, media_type="text/plain")
    reply = await run_in_threadpool(handle_message, runtime, inbound)
    return Response(twilio.twiml(reply), media_type=XML)
