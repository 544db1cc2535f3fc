"""Twilio's messaging webhook (SMS and WhatsApp) and its delivery status callbacks."""

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from bot.channels import twilio
from bot.channels.base import BadRequest, parse_form
from bot.db import transaction
from bot.outbound import record_status
from bot.runtime import Runtime
from bot.web.common import handle_message, read_body, refuse

router = APIRouter()


async def _signed_form(request: Request) -> dict[str, str] | Response:
    """The form, if Twilio signed it; otherwise the response to give."""
    settings = request.app.state.runtime.settings
    try:
        params = parse_form(await read_body(request, settings.max_body_bytes))
    except BadRequest as error:
        return refuse(error)
    # Twilio signs the public URL it called, which a proxy may hide from us.
    url = settings.public_url + request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if not twilio.signature_is_valid(settings.twilio_auth_token, url, params, request.headers.get("x-twilio-signature")):
        return Response("invalid signature", status_code=403, media_type="text/plain")
    return params


@router.post("/webhooks/twilio/messaging")
async def messaging(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    params = await _signed_form(request)
    if isinstance(params, Response):
        return params
    try:
        inbound = twilio.to_inbound(params, runtime.settings.max_text_chars)
    except BadRequest as error:
        return refuse(error)
    handled = await run_in_threadpool(handle_message, runtime, inbound)
    return Response(twilio.twiml(handled.reply), media_type="application/xml")


@router.post("/webhooks/twilio/status")
async def status(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    params = await _signed_form(request)
    if isinstance(params, Response):
        return params
    sid, state = params.get("MessageSid", ""), params.get("MessageStatus", "")
    if not sid or not state:
        return refuse(BadRequest("MessageSid and MessageStatus are required"))

    def record() -> None:
        with transaction(runtime.sessions) as db:
            record_status(db, sid, state, params.get("ErrorCode") or None, params.get("ErrorMessage") or None)

    await run_in_threadpool(record)
    return Response(status_code=204)
