"""Twilio's messaging webhook (SMS and WhatsApp) and its delivery status callbacks."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from bot.channels import twilio
from bot.channels.base import BadRequest
from bot.db import transaction
from bot.outbound.status import record_status
from bot.web.common import ProviderRefused, bounded_form, handle_message, refused

router = APIRouter()


def signed_form(request: Request, form: Annotated[dict, Depends(bounded_form)]) -> dict[str, str]:
    """The form, if Twilio signed it."""
    settings = request.app.state.runtime.settings
    # Twilio signs the public URL it called, which a proxy may hide from us.
    url = settings.public_url + request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if not twilio.signature_is_valid(settings.twilio_auth_token, url, form, request.headers.get("x-twilio-signature")):
        raise ProviderRefused(status_code=403, detail="invalid signature")
    return form


SignedForm = Annotated[dict, Depends(signed_form)]


@router.post("/webhooks/twilio/messaging")
def messaging(request: Request, form: SignedForm) -> Response:
    runtime = request.app.state.runtime
    try:
        inbound = twilio.to_inbound(form, runtime.settings.max_text_chars)
    except BadRequest as error:
        raise refused(error) from error
    return Response(twilio.twiml(handle_message(runtime, inbound).reply), media_type="application/xml")


@router.post("/webhooks/twilio/status", status_code=204)
def status(request: Request, form: SignedForm) -> None:
    sid, state = form.get("MessageSid", ""), form.get("MessageStatus", "")
    if not sid or not state:
        raise refused(BadRequest("MessageSid and MessageStatus are required"))
    with transaction(request.app.state.runtime.database) as db:
        record_status(db, sid, state, form.get("ErrorCode") or None, form.get("ErrorMessage") or None)
