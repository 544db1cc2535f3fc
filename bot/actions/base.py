"""What an action unit is, and what it works with when it is carried out."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from bot import metrics
from bot.cases.lifecycle import Desk
from bot.contacts import ContactRecord
from bot.db import insert_unless_taken
from bot.engine.actions import ActionSpec
from bot.engine.interpreter import Action
from bot.i18n import Catalogues
from bot.models import Feedback, Site
from bot.references import new_reference
from bot.vault import Vault


@dataclass
class Outcome:
    """What the actions of a turn produced: values its replies may quote, and submissions to queue."""

    values: dict = field(default_factory=dict)
    feedback_ids: list[int] = field(default_factory=list)
    # Texts to other people the turn stored (a freed assembly place told to whoever waited), as (message id,
    # lane): handed to RQ with the rest once the webhook's transaction has committed.
    messages: list[tuple[int, str]] = field(default_factory=list)
    # A confidential report was made or looked up: the turn is kept as confidential as the report, and
    # nothing about it is sent by text.
    confidential: bool = False


_NEW_FEEDBACK = {
    name: statement.returning(Feedback.__table__.c.id)
    for name, statement in insert_unless_taken(Feedback.__table__, Feedback.__table__.c.reference).items()
}
_SITE_ID = select(Site.id).where(Site.slug == bindparam("slug"))  # built once: a site is chosen or sent often


class Triggering(Protocol):
    """What actions read of the message that triggered them, already stored."""

    @property
    def id(self) -> int: ...

    @property
    def channel(self) -> str: ...


@dataclass
class ActionContext:
    """Everything an action works with, inside the webhook's transaction."""

    db: Session
    contact: ContactRecord
    inbound: Triggering  # the message that triggered it, already stored
    vault: Vault
    outcome: Outcome = field(default_factory=Outcome)
    # How texts to other people are written (their language, their channel's alphabet): an action that
    # tells someone else (a freed assembly place) needs it.
    desk: Desk | None = None

    def site_id(self, slug: str | None) -> int | None:
        return self.db.connection().execute(_SITE_ID, {"slug": slug}).scalar() if slug else None

    def new_feedback(self, **fields) -> Feedback:
        """A submission with a fresh reference; a clash among 25**6 is rare, so draw again rather than fail the person.

        Written in one statement, not through the session: the model's own defaults and events (its searchable
        text) fill the row, and the Feedback returned is a copy of it, outside the session.
        """
        feedback = Feedback(
            language=self.contact.language or "",
            channel=self.inbound.channel,
            contact_id=self.contact.id,
            message_id=self.inbound.id,
            **fields,
        )
        row = {name: value for name, value in vars(feedback).items() if not name.startswith("_")}
        connection = self.db.connection()
        for _ in range(8):
            row["reference"] = feedback.reference = new_reference()
            feedback.id = connection.execute(_NEW_FEEDBACK[connection.dialect.name], row).scalar()
            if feedback.id is None:  # the reference is taken
                continue
            self.outcome.values["reference"] = feedback.reference
            self.outcome.feedback_ids.append(feedback.id)
            self.outcome.confidential |= bool(feedback.confidential)  # unset: the model's default, False
            metrics.count_submission(feedback.kind, feedback.channel)
            return feedback
        raise RuntimeError("could not draw a free reference")


def _no_samples(catalogues: Catalogues, lang: str | None) -> Mapping[str, Any]:
    return {}


@dataclass(frozen=True)
class ActionUnit:
    """One action a flow may `do`: what the engine knows of it, and how it is carried out."""

    spec: ActionSpec
    carry_out: Callable[[ActionContext, Action], None]
    # The values its replies may quote, as long as they plausibly get in `lang` (None: every
    # language at once), to cost screens before anyone has used them (bot.screens).
    samples: Callable[[Catalogues, str | None], Mapping[str, Any]] = _no_samples

    @property
    def name(self) -> str:
        return self.spec.name
