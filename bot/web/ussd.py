"""USSD endpoint (Africa's Talking protocol); the callback URL carries ?token=USSD_TOKEN."""

import hmac
from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.channels import ussd
from bot.channels.base import BadRequest, InboundMessage
from bot.engine.texts import N_, OPTED_OUT
from bot.handover import AfterCommit
from bot.models import Feedback
from bot.outbound.gsm7 import prepare
from bot.outbound.store import queue_message
from bot.runtime import Runtime
from bot.vocabulary import Channel, Lane
from bot.web.common import ProviderRefused, bounded_form, refused

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
        elif typed == ussd.BACK and state.page > 0:
            state.page -= 1
        else:
            inbound = InboundMessage("ussd", request.phone, typed, ussd.provider_id(request))
            handled = runtime.conversations.handle(db, inbound, fresh=state.text is None)
            after.feedback_ids += handled.feedback_ids
            if _confirm_by_sms(db, runtime, handled.feedback_ids) and handled.unprepared_reply:
                # The USSD screen vanishes; the reference must stay with the person.
                text = prepare(handled.unprepared_reply, runtime.settings.sms_alphabet)
                after.messages.append((queue_message(db, handled.contact_id, Channel.SMS, text).id, Lane.REPLY))
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

    return runtime.transactions.run(work)


def _token_checked(request: Request) -> None:
    expected = request.app.state.runtime.settings.ussd_token
    given = request.query_params.get("token", "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise ProviderRefused(status_code=403, detail="invalid token")


@router.post("/webhooks/ussd", response_class=PlainTextResponse, dependencies=[Depends(_token_checked)])
def ussd_callback(request: Request, form: Annotated[dict, Depends(bounded_form)]) -> str:
    runtime: Runtime = request.app.state.runtime
    try:
        parsed = ussd.parse(form, runtime.settings.max_text_chars)
    except BadRequest as error:
        raise refused(error) from error
    return _answer(runtime, parsed)
