"""Carrying out the engine's actions in the database, inside the webhook's transaction."""

from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.engine.interpreter import Action
from bot.i18n import Filled
from bot.models import Assembly, AssemblyInterest, Contact, Feedback, Message, Signup, Site, utcnow
from bot.outcomes import NOT_FOUND, SIGNED_UP, SIGNUP_STATUS, STATUS, STATUS_WITH_OUTCOME, WAITLISTED
from bot.references import ALPHABET, new_reference
from bot.vault import Vault


@dataclass
class Outcome:
    """What the actions produced: values the replies may quote, and submissions to queue."""

    values: dict = field(default_factory=dict)
    feedback_ids: list[int] = field(default_factory=list)


@dataclass
class Effects:
    """Everything an action needs beyond the database: the contact, the message, the vault."""

    db: Session
    contact: Contact
    inbound: Message
    vault: Vault
    outcome: Outcome = field(default_factory=Outcome)


def _site_id(db: Session, slug: str | None) -> int | None:
    return db.scalar(select(Site.id).where(Site.slug == slug)) if slug else None


def _new_feedback(fx: Effects, **fields) -> Feedback:
    """A submission with a fresh reference; a clash among 31**6 is rare, so retry rather than fail the person."""
    for _ in range(8):
        feedback = Feedback(
            reference=new_reference(),
            language=fx.contact.language or "",
            channel=fx.inbound.channel,
            contact_id=fx.contact.id,
            message_id=fx.inbound.id,
            **fields,
        )
        try:
            with fx.db.begin_nested():
                fx.db.add(feedback)
        except IntegrityError:
            continue
        fx.outcome.values["reference"] = feedback.reference
        fx.outcome.feedback_ids.append(feedback.id)
        return feedback
    raise RuntimeError("could not draw a free reference")


def _submit(fx: Effects, action: Action) -> None:
    values = action.values
    text, details = values.get("text") or None, values.get("callback_details")
    confidential = action.arg == "confidential"
    _new_feedback(
        fx,
        kind=action.arg,
        category=values.get("category"),
        site_id=_site_id(fx.db, values.get("site")),
        confidential=confidential,
        # A confidential report is encrypted at rest, its call-back details too.
        text=None if confidential else text,
        text_encrypted=fx.vault.encrypt(text) if confidential and text else None,
        callback=values.get("callback"),
        callback_details_encrypted=fx.vault.encrypt(details) if details else None,
    )


def _sign_up(fx: Effects, action: Action) -> None:
    """A place at the assembly, or on its waiting list if it filled up since the menu was shown."""
    assembly = fx.db.get(Assembly, int(action.values["assembly"]))
    existing = fx.db.scalar(select(Signup).where(Signup.assembly_id == assembly.id, Signup.contact_id == fx.contact.id))
    if existing is not None:  # the same person confirming twice (two phones, a retry): one sign-up
        fx.outcome.values.update(reference=existing.feedback.reference, signup=SIGNUP_STATUS[existing.status])
        return
    taken = fx.db.scalar(
        select(func.count()).where(Signup.assembly_id == assembly.id, Signup.status == "confirmed")
    )
    full = assembly.capacity is not None and taken >= assembly.capacity
    status = "waitlist" if action.arg == "waitlist" or full else "confirmed"
    feedback = _new_feedback(fx, kind="assembly", category=status, site_id=assembly.site_id, text=assembly.title)
    fx.db.add(Signup(assembly_id=assembly.id, contact_id=fx.contact.id, feedback_id=feedback.id, status=status))
    fx.outcome.values["signup"] = WAITLISTED if status == "waitlist" else SIGNED_UP


def _notify_assemblies(fx: Effects) -> None:
    site_id = fx.contact.site_id
    exists = fx.db.scalar(
        select(AssemblyInterest.id).where(
            AssemblyInterest.contact_id == fx.contact.id, AssemblyInterest.site_id == site_id
        )
    )
    if site_id and not exists:
        fx.db.add(AssemblyInterest(contact_id=fx.contact.id, site_id=site_id))


def clean_reference(text: str) -> str:
    """What people type for a reference: any case, spaces or dashes inside."""
    return "".join(c for c in text.upper() if c.isalnum())


def _lookup_reference(fx: Effects, action: Action) -> None:
    """The status of one of the person's own references; someone else's is simply not found."""
    reference = clean_reference(str(action.values.get("reference", "")))
    feedback = fx.db.scalar(
        select(Feedback).where(Feedback.reference == reference, Feedback.contact_id == fx.contact.id)
    ) if reference and set(reference) <= set(ALPHABET) else None
    fx.outcome.values["reference"] = reference
    if feedback is None:
        fx.outcome.values["status"] = NOT_FOUND
    elif feedback.kind == "assembly":
        signup = fx.db.scalar(select(Signup).where(Signup.feedback_id == feedback.id))
        fx.outcome.values["status"] = SIGNUP_STATUS[signup.status]
    elif feedback.outcome and feedback.status in STATUS_WITH_OUTCOME and not feedback.confidential:
        # "resolved: <what was done>". Never for a confidential report: whoever holds the phone could ask.
        fx.outcome.values["status"] = Filled(STATUS_WITH_OUTCOME[feedback.status], {"outcome": feedback.outcome})
    else:
        fx.outcome.values["status"] = STATUS.get(feedback.status, STATUS["new"])


def _refuse(db: Session, contact: Contact) -> None:
    """Keep the refusal itself and nothing else about the person."""
    contact.consent, contact.consent_at = "refused", utcnow()
    contact.phone_encrypted = contact.language = contact.site_id = None
    db.flush()
    db.execute(
        update(Message)
        .where(Message.contact_id == contact.id, Message.direction == "in")
        .values(text=None, text_encrypted=None, media=None, redacted=True)
    )


def carry_out(fx: Effects, actions: tuple[Action, ...]) -> Outcome:
    contact = fx.contact
    for action in actions:
        match action.name:
            case "set_language":
                contact.language = action.values.get("language")
            case "set_site":
                contact.site_id = _site_id(fx.db, action.values.get("site"))
            case "accept_consent":
                contact.consent, contact.consent_at = "accepted", utcnow()
            case "refuse_consent":
                _refuse(fx.db, contact)
            case "opt_out":
                contact.opted_out_at = utcnow()
            case "opt_in":
                contact.opted_out_at = None
            case "submit":
                _submit(fx, action)
            case "sign_up":
                _sign_up(fx, action)
            case "notify_assemblies":
                _notify_assemblies(fx)
            case "lookup_reference":
                _lookup_reference(fx, action)
            case _:
                raise ValueError(f"unknown action {action.name}")
    return fx.outcome
