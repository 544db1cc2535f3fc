"""What every provider endpoint shares: bounded bodies, one transaction per message, work queued after commit."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from fastapi import HTTPException, Request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.channels.base import BadRequest, InboundMessage, TooLarge, parse_form
from bot.conversation import Handled
from bot.db import transaction
from bot.outbound import enqueue_sends
from bot.queue import enqueue_intake
from bot.runtime import Runtime

T = TypeVar("T")


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


@dataclass
class AfterCommit:
    """Work to hand to RQ once the transaction that stored it has committed."""

    feedback_ids: list[int] = field(default_factory=list)
    messages: list[tuple[int, str]] = field(default_factory=list)  # (message id, lane)

    def run(self, runtime: Runtime) -> None:
        if self.feedback_ids:
            enqueue_intake(runtime.redis, self.feedback_ids)
        if self.messages:
            settings = runtime.settings
            enqueue_sends(runtime.redis, self.messages, settings.send_attempts, settings.send_retry_seconds)


def in_transaction(runtime: Runtime, work: Callable[[Session, AfterCommit], T]) -> T:
    """Run `work` in one transaction, retried once if a parallel request committed the same provider id."""
    after = AfterCommit()
    try:
        with transaction(runtime.sessions) as db:
            result = work(db, after)
    except IntegrityError:
        # The same message committed by a parallel request: the second run answers as a retry.
        after = AfterCommit()
        with transaction(runtime.sessions) as db:
            result = work(db, after)
    after.run(runtime)
    return result


def handle_message(runtime: Runtime, inbound: InboundMessage) -> Handled:
    """Store and answer one message; a retry of the same message gets the first answer."""

    def work(db: Session, after: AfterCommit) -> Handled:
        handled = runtime.conversations.handle(db, inbound)
        after.feedback_ids += handled.feedback_ids
        return handled

    return in_transaction(runtime, work)
