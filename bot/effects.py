"""Carrying out the engine's actions in the database, inside the webhook's transaction."""

from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.engine.interpreter import Action
from bot.models import Contact, Feedback, Message, Site, utcnow
from bot.references import new_reference


@dataclass
class Outcome:
    """What the actions produced: values the replies may quote, and submissions to queue."""

    values: dict[str, str] = field(default_factory=dict)
    feedback_ids: list[int] = field(default_factory=list)


def _site_id(db: Session, slug: str | None) -> int | None:
    return db.scalar(select(Site.id).where(Site.slug == slug)) if slug else None


def _submit(db: Session, contact: Contact, inbound: Message, action: Action, outcome: Outcome) -> None:
    values = action.values
    for _ in range(8):  # a clash among 31**6 references is rare; retry rather than fail the person
        feedback = Feedback(
            reference=new_reference(),
            kind=action.arg,
            category=values.get("category"),
            site_id=_site_id(db, values.get("site")),
            language=contact.language or values.get("language") or "",
            channel=inbound.channel,
            text=values.get("text"),
            contact_id=contact.id,
            message_id=inbound.id,
        )
        try:
            with db.begin_nested():
                db.add(feedback)
        except IntegrityError:
            continue
        outcome.values["reference"] = feedback.reference
        outcome.feedback_ids.append(feedback.id)
        return
    raise RuntimeError("could not draw a free reference")


def _refuse(db: Session, contact: Contact) -> None:
    """Keep the refusal itself and nothing else about the person."""
    contact.consent, contact.consent_at = "refused", utcnow()
    contact.phone_encrypted = contact.language = contact.site_id = None
    db.flush()
    db.execute(
        update(Message)
        .where(Message.contact_id == contact.id, Message.direction == "in")
        .values(text=None, media=None, redacted=True)
    )


def carry_out(db: Session, contact: Contact, inbound: Message, actions: tuple[Action, ...]) -> Outcome:
    outcome = Outcome()
    for action in actions:
        match action.name:
            case "set_language":
                contact.language = action.values.get("language")
            case "set_site":
                contact.site_id = _site_id(db, action.values.get("site"))
            case "accept_consent":
                contact.consent, contact.consent_at = "accepted", utcnow()
            case "refuse_consent":
                _refuse(db, contact)
            case "opt_out":
                contact.opted_out_at = utcnow()
            case "opt_in":
                contact.opted_out_at = None
            case "submit":
                _submit(db, contact, inbound, action, outcome)
            case _:
                raise ValueError(f"unknown action {action.name}")
    return outcome
