"""The generic HTTP SMS gateway's inbound messages and delivery reports (contract in bot/channels/gateway.py)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from bot.channels import gateway
from bot.channels.base import BadRequest
from bot.db import transaction
from bot.outbound.status import record_status
from bot.web.common import ProviderRefused, bounded_form, handle_message, refused

router = APIRouter()
REPORTED = ("sent", "delivered", "undelivered", "failed")


def gateway_form(request: Request, form: Annotated[dict, Depends(bounded_form)]) -> dict[str, str]:
    """The form, if it carries the gateway's shared secret."""
    if not gateway.secret_is_valid(request.app.state.runtime.settings.gateway_secret, form.get("secret")):
        raise ProviderRefused(status_code=403, detail="invalid secret")
    return form


GatewayForm = Annotated[dict, Depends(gateway_form)]


@router.post("/webhooks/gateway/sms")
def inbound(request: Request, form: GatewayForm) -> dict:
    """Answers `{"reply": text or null}`: the gateway sends the reply, as Twilio does with TwiML."""
    runtime = request.app.state.runtime
    try:
        message = gateway.to_inbound(form, runtime.settings.max_text_chars)
    except BadRequest as error:
        raise refused(error) from error
    return {"reply": handle_message(runtime, message).reply}


@router.post("/webhooks/gateway/status", status_code=204)
def status(request: Request, form: GatewayForm) -> None:
    if not form.get("id") or form.get("status") not in REPORTED:
        raise refused(BadRequest("`id` and a known `status` are required"))
    error = form.get("error") or None
    with transaction(request.app.state.runtime.database) as db:
        record_status(db, gateway.ID_PREFIX + form["id"], form["status"], "gateway" if error else None, error)
