"""What every provider endpoint shares: bounded bodies, plain-text refusals, one transaction per message."""


from fastapi import HTTPException, Request
from sqlalchemy.orm import Session

from bot.channels.base import BadRequest, InboundMessage, TooLarge, parse_form
from bot.conversation import Handled
from bot.handover import AfterCommit
from bot.runtime import Runtime


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


class ProviderRefused(HTTPException):
    """A provider's request we will not take: a 4xx with a plain-text reason (see bot.app)."""


def refused(error: BadRequest) -> ProviderRefused:
    """A provider's bad input as an HTTP error: a 4xx with the reason, never a 500."""
    return ProviderRefused(status_code=error.status, detail=str(error))


async def bounded_form(request: Request) -> dict[str, str]:
    """The request's form: size-limited and strictly UTF-8 (a dependency of every provider endpoint)."""
    try:
        return parse_form(await read_body(request, request.app.state.runtime.settings.max_body_bytes))
    except BadRequest as error:
        raise refused(error) from error


def handle_message(runtime: Runtime, inbound: InboundMessage) -> Handled:
    """Store and answer one message; a retry of the same message gets the first answer."""

    def work(db: Session, after: AfterCommit) -> Handled:
        handled = runtime.conversations.handle(db, inbound)
        after.feedback_ids += handled.feedback_ids
        return handled

    return runtime.transactions.run(work)
