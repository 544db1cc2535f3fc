"""Sends that wait for a person's decision: maybe sent (`unknown`), failed or not delivered; and sending one again.

baro never sends these again on its own: an `unknown` message may already be on the person's
phone (the provider's answer was lost, or the worker died mid-send, bot.outbound.sending). Staff
check with the provider and, deliberately, send one again; it is then `pending` and goes through
the pipeline like any message, and the case it was about records it in its trail.

Who sees which, by the inbox's rules (bot.cases.access): a message is shown to whoever may see the
case it is about, found where baro recorded it: a text staff sent a person (a reply, a closing
message) in that case's trail, a focal point's alert in the confidential report's alert row. A
message about no case (a USSD confirmation, an assembly announcement) is shown to admins only;
a message of a confidential conversation only to those who read confidential reports.
"""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.cases.access import may_see, reads_confidential, works_at_desk
from bot.cases.lifecycle import Refused
from bot.cases.sealed import seal
from bot.models import CaseEvent, Contact, Feedback, Message, ProtectionAlert, StaffUser, utcnow
from bot.outbound.sending import LEASE_EXPIRED
from bot.vault import Vault
from bot.vocabulary import N_, Direction, Lane, MessageStatus, Role

# Maybe sent: only a person can decide whether to send it again.
MAYBE_SENT = (MessageStatus.UNKNOWN,)
# Not sent, or not delivered, by the provider's own word.
NOT_SENT = (MessageStatus.FAILED, MessageStatus.UNDELIVERED)
SENDABLE_AGAIN = (*MAYBE_SENT, *NOT_SENT)
# The trail's events that record a text staff sent the person, with its message id.
STAFF_TEXTS = ("replied", "status_changed")
# The trail's event of a message sent again.
SENT_AGAIN = "sent_again"

SHOWN = 100  # the most recent of each list
_BATCH = 500
_SCANNED = 5000  # a list reads at most this many rows to find what the user may see

GONE = N_("This message is no longer waiting for a decision: look at the list again.")
UNREACHABLE = N_("The person opted out or refused consent: nothing more is sent to them.")


@dataclass(frozen=True)
class Send:
    """A message waiting for a decision, and the case it is about (None: about no case)."""

    message: Message
    feedback: Feedback | None


def cases_of(db: Session, messages: list[Message]) -> dict[int, Feedback]:
    """{message id: the case it is about}, for the messages whose case baro recorded."""
    if not messages:
        return {}
    wanted = {message.id for message in messages}
    found: dict[int, Feedback] = {}
    # Texts to a person about one of their cases: in that case's trail. (Nothing is ever texted
    # about a confidential report, whose trail details are sealed.)
    rows = db.execute(
        select(CaseEvent.detail, Feedback)
        .join(Feedback, Feedback.id == CaseEvent.feedback_id)
        .where(
            Feedback.contact_id.in_({message.contact_id for message in messages}),
            CaseEvent.action.in_(STAFF_TEXTS),
        )
    )
    for detail, feedback in rows:
        message_id = (detail or {}).get("message_id")
        if message_id in wanted:
            found[message_id] = feedback
    # Focal points' alerts: in the report's alert row, marked done in the commit that stored them,
    # so at about their own time: a minute either side is plenty, and bounds what is read.
    earliest = min(message.created_at for message in messages) - timedelta(minutes=1)
    latest = max(message.created_at for message in messages) + timedelta(minutes=1)
    rows = db.execute(
        select(ProtectionAlert.message_ids, Feedback)
        .join(Feedback, Feedback.id == ProtectionAlert.feedback_id)
        .where(ProtectionAlert.done_at >= earliest, ProtectionAlert.done_at <= latest)
    )
    for message_ids, feedback in rows:
        for message_id in message_ids or ():
            if message_id in wanted:
                found[message_id] = feedback
    return found


def lost_its_worker(message: Message) -> bool:
    """Left `unknown` because the worker sending it died mid-send (its lease expired)."""
    return message.error_code == LEASE_EXPIRED


def may_see_send(user: StaffUser, message: Message, feedback: Feedback | None) -> bool:
    """The inbox's rules: the case it is about; admins only for a message about no case."""
    if not works_at_desk(user):
        return False
    if message.confidential and not reads_confidential(user):
        return False
    if feedback is None:
        return user.role == Role.ADMIN
    return may_see(user, feedback)


def waiting(db: Session, user: StaffUser, statuses: tuple[str, ...], shown: int = SHOWN) -> list[Send]:
    """The most recent outgoing messages in `statuses` that `user` may see, newest first."""
    sends: list[Send] = []
    last_id = None
    scanned = 0
    while len(sends) < shown and scanned < _SCANNED:
        query = (
            select(Message)
            .where(Message.direction == Direction.OUT, Message.status.in_(statuses))
            .order_by(Message.id.desc())
            .limit(_BATCH)
        )
        if last_id is not None:
            query = query.where(Message.id < last_id)
        batch = list(db.scalars(query))
        if not batch:
            break
        scanned += len(batch)
        last_id = batch[-1].id
        cases = cases_of(db, batch)
        for message in batch:
            feedback = cases.get(message.id)
            if may_see_send(user, message, feedback):
                sends.append(Send(message, feedback))
    return sends[:shown]


def visible_send(db: Session, user: StaffUser, message_id: int) -> Send | None:
    """One outgoing message `user` may see, or None (as if it did not exist)."""
    message = db.get(Message, message_id)
    if message is None or message.direction != Direction.OUT:
        return None
    feedback = cases_of(db, [message]).get(message.id)
    return Send(message, feedback) if may_see_send(user, message, feedback) else None


def send_again(db: Session, vault: Vault, user: StaffUser, send: Send) -> tuple[int, str]:
    """Put the message back to `pending`, on staff's word; (message id, lane) to hand to RQ once committed.

    Refused if it is no longer waiting for a decision (someone else sent it again meanwhile: of two
    clicks, one sends) or the person can no longer be texted. It starts a fresh series of attempts;
    what it was (status, error, the provider's id) goes to the case's trail.
    """
    message = send.message
    was = message.status
    contact = db.get(Contact, message.contact_id) if message.contact_id else None
    if was not in SENDABLE_AGAIN:
        raise Refused(GONE)
    if contact is not None and (contact.opted_out_at is not None or contact.phone_encrypted is None):
        raise Refused(UNREACHABLE)
    now = utcnow()
    moved = db.execute(
        update(Message)
        .where(Message.id == message.id, Message.status == was)
        .values(
            status=MessageStatus.PENDING,
            status_at=now,
            attempts=0,
            error_code=None,
            error_message=None,
            provider_id=None,  # a late report about the earlier attempt must not pass for this one's
            sent_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        raise Refused(GONE)
    if send.feedback is not None:
        detail = {
            "message_id": message.id,
            "was": was,
            "error_code": message.error_code,
            "provider_id": message.provider_id,
        }
        clear, sealed = seal(vault, send.feedback, detail)
        db.add(
            CaseEvent(
                feedback_id=send.feedback.id,
                actor_id=user.id,
                action=SENT_AGAIN,
                detail=clear,
                detail_encrypted=sealed,
                created_at=now,
            )
        )
    return message.id, message.lane or Lane.REPLY
