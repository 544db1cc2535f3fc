"""The generic HTTP SMS gateway's inbound messages and delivery reports (contract in bot/channels/gateway.py)."""

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from bot.channels import gateway
from bot.channels.base import BadRequest, parse_form
from bot.db import transaction
from bot.outbound import record_status
from bot.runtime import Runtime
from bot.web.common import handle_message, read_body, refuse

router = APIRouter()


async def _form(request: Request) -> dict[str, str] | Response:
    settings = request.app.state.runtime.settings
    try:
        form = parse_form(await read_body(request, settings.max_body_bytes))
    except BadRequest as error:
        return refuse(error)
    if not gateway.secret_is_valid(settings.gateway_secret, form.get("secret")):
        return Response("invalid secret", status_code=403, media_type="text/plain")
    return form


@router.post("/webhooks/gateway/sms")
async def inbound(request: Request) -> Response:
    """Answers `{"reply": text or null}`: the gateway sends the reply, as Twilio does with TwiML."""
    runtime: Runtime = request.app.state.runtime
    form = await _form(request)
    if isinstance(form, Response):
        return form
    try:
        message = gateway.to_inbound(form, runtime.settings.max_text_chars)
    except BadRequest as error:
        return refuse(error)
    handled = await run_in_threadpool(handle_message, runtime, message)
    return JSONResponse({"reply": handled.reply})


@router.post("/webhooks/gateway/status")
async def status(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    form = await _form(request)
    if isinstance(form, Response):
        return form
    if not form.get("id") or form.get("status") not in ("delivered", "failed", "undelivered", "sent"):
        return refuse(BadRequest("`id` and a known `status` are required"))

    def record() -> None:
        with transaction(runtime.sessions) as db:
            error = form.get("error") or None
            record_status(db, gateway.ID_PREFIX + form["id"], form["status"], "gateway" if error else None, error)

    await run_in_threadpool(record)
    return Response(status_code=204)
