"""Cases referred to partners: the referral, the partner's answer, what the person is told."""

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.models import Referral


def latest_referrals(db: Session, feedback_ids: list[int]) -> dict[int, Referral]:
    """Each case's latest referral, partner loaded: {case id: referral}, for lists and exports."""
    latest: dict[int, Referral] = {}
    if not feedback_ids:
        return latest
    rows = db.scalars(
        select(Referral)
        .where(Referral.feedback_id.in_(feedback_ids))
        .order_by(Referral.created_at, Referral.id)
        .options(selectinload(Referral.partner))
    )
    for referral in rows:
        latest[referral.feedback_id] = referral
    return latest
