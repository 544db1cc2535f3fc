"""USSD endpoint (Africa's Talking protocol); the callback URL carries ?token=USSD_TOKEN."""

import hmac
from dataclasses import asdict
from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.channels import ussd
from bot.channels.base import BadRequest, InboundMessage, parse_form
from bot.engine.texts import OPTED_OUT, N_
from bot.models import Feedback
from bot.outbound import queue_message
from bot.runtime import Runtime
from bot.sms import prepare
from bot.web.common import AfterCommit, in_transaction, read_body, refuse

router = APIRouter()

MORE_LABEL = N_("ussd", "More")
BACK_LABEL = N_("ussd", "Back")


def _confirm_by_sms(db: Session, runtime: Runtime, feedback_ids: list[int]) -> bool:
    """A confirmation SMS, when SMS can be sent; never for a confidential report: it would stay
    in the inbox of a phone that others may read."""
    if not feedback_ids or "sms" not in runtime.senders:
        return False
    return not db.scalar(select(func.count()).where(Feedback.id.in_(feedback_ids), Feedback.confidential))


def _answer(runtime: Runtime, request: ussd.UssdRequest) -> str:
    key = f"baro:ussd:{request.session_id}"
    store = runtime.ussd_sessions

    def work(db: Session, after: AfterCommit) -> str:
        state = ussd.UssdSession.from_dict(store.load(db, key))
        if state.text == request.text and state.answer:
            return state.answer  # the aggregator replayed a request we already answered
        typed = ussd.newest_input(state.text, request.text)
        last_page = len(state.pages) - 1
        if typed == ussd.MORE and state.page < last_page:
            state.page += 1
        elif typed == ussd.BACK and 0 < state.page:
            state.page -= 1
        else:
            inbound = InboundMessage("ussd", request.phone, typed, ussd.provider_id(request))
            handled = runtime.conversations.handle(db, inbound, fresh=state.text is None)
            after.feedback_ids += handled.feedback_ids
            if _confirm_by_sms(db, runtime, handled.feedback_ids) and handled.unprepared_reply:
                # The USSD screen vanishes; the reference must stay with the person.
                text = prepare(handled.unprepared_reply, runtime.settings.sms_alphabet)
                after.messages.append((queue_message(db, handled.contact_id, "sms", text).id, "reply"))
            catalogues = runtime.catalogues
            # Someone who opted out and dials anyway is told how to come back; a USSD screen cannot be silent.
            screen = handled.reply or catalogues.text(handled.language, OPTED_OUT)
            labels = [catalogues.text(handled.language, label) for label in (MORE_LABEL, BACK_LABEL)]
            state.pages, state.page = ussd.paginate(screen, *labels), 0
            state.waiting = handled.waiting or handled.reply is None
        more_to_read = state.page < len(state.pages) - 1
        state.text = request.text
        state.answer = ussd.respond(state.pages[state.page], state.waiting or more_to_read)
        store.save(db, key, asdict(state))
        return state.answer

    return in_transaction(runtime, work)


@router.post("/webhooks/ussd", response_class=PlainTextResponse)
async def ussd_callback(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    settings = runtime.settings
    token = request.query_params.get("token", "")
    if not settings.ussd_token or not hmac.compare_digest(token.encode(), settings.ussd_token.encode()):
        return Response("invalid token", status_code=403, media_type="text/plain")
    try:
        parsed = ussd.parse(parse_form(await read_body(request, settings.max_body_bytes)), settings.max_text_chars)
    except BadRequest as error:
        return refuse(error)
    return PlainTextResponse(await run_in_threadpool(_answer, runtime, parsed))
