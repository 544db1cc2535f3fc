"""/api/v1: the triage queue for other tools (a partner's dashboard, a spreadsheet), by API token.

The same filters, search, keyset pages and access rules as the inbox (`bot.cases.queries`).
Never a phone number; a stable pseudonym tells two senders apart.
"""

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field

from bot.cases.lifecycle import READ_THROUGH_API, record_reads
from bot.cases.queries import (
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    Filters,
    InvalidFilter,
    feedback_by_reference,
    feedback_page,
    pseudonym,
    readable_text,
)
from bot.cases.referrals import latest_referrals, status_at
from bot.cases.sealed import tags_of
from bot.cases.targets import is_overdue
from bot.media.files import files_of
from bot.models import Attachment, Feedback, Referral, StaffUser, utcnow
from bot.vault import Vault
from bot.vocabulary import AttachmentKind, AttachmentStatus, CaseStatus, Channel, Kind, ReferralStatus
from bot.web.deps import ApiUserDep, DbDep, RuntimeDep
from bot.whole_numbers import whole_number

router = APIRouter(prefix="/api/v1", tags=["feedback"])


class ReferralItem(BaseModel):
    """The case's latest referral to a partner organisation."""

    partner: str = Field(description="The partner's name, as in the directory.")
    status: str = Field(description=ReferralStatus.described())
    at: datetime = Field(description="When the referral reached this status (ISO 8601, UTC).")


class AttachmentItem(BaseModel):
    """A file the person sent with the submission: a voice note, a photo, a call's recording."""

    kind: str = Field(description=AttachmentKind.described())
    content_type: str = Field(description="Its type, e.g. `audio/ogg`, `image/jpeg`.")
    seconds: int | None = Field(description="A recording's length, when the provider gave it.")
    status: str = Field(description=AttachmentStatus.described() + " (stored: on the case page, encrypted at rest).")


class FeedbackItem(BaseModel):
    """One submission, as the API user may see it."""

    reference: str = Field(description="The reference the person was given, e.g. `K7M2QX`.")
    created_at: datetime = Field(description="When it came in (ISO 8601, UTC).")
    kind: str = Field(description=Kind.described())
    category: str | None = Field(description="The category chosen in the conversation, e.g. `water_sanitation`.")
    site: str | None = Field(description="The site's slug, e.g. `niamana`.")
    language: str = Field(description="The conversation language, e.g. `fr`, `bm`.")
    channel: str = Field(description=Channel.described())
    status: str = Field(description=CaseStatus.described())
    confidential: bool = Field(description="A confidential report: only protection and admin users ever get these.")
    assignee: str | None = Field(description="The email of the staff member it is assigned to.")
    tags: list[str] = Field(description="Triage tags.")
    text: str | None = Field(
        description="What the person wrote; a confidential report's only for protection and admin."
    )
    contact: str = Field(
        description="A stable pseudonym of the sender (not the phone number): the same person, the same value."
    )
    respond_by: datetime | None = Field(
        description="When the case's next step is due (ISO 8601, UTC): acknowledging it, then resolving it; "
        "null once it is resolved or closed, and for assembly sign-ups (no targets)."
    )
    overdue: bool = Field(description="Whether `respond_by` has passed.")
    referral: ReferralItem | None = Field(description="Its latest referral to a partner; null if never referred.")
    attachments: list[AttachmentItem] = Field(description="The files sent with it (never their content).")


class FeedbackPage(BaseModel):
    """A page of submissions, newest first."""

    items: list[FeedbackItem]
    next: str | None = Field(description="Pass as `before` for the next, older page; null on the last page.")


class Problem(BaseModel):
    detail: str


def _item(
    vault: Vault, user: StaffUser, feedback: Feedback, referral: Referral | None, files: list[Attachment]
) -> FeedbackItem:
    return FeedbackItem(
        reference=feedback.reference,
        created_at=feedback.created_at,
        kind=feedback.kind,
        category=feedback.category,
        site=feedback.site.slug if feedback.site else None,
        language=feedback.language,
        channel=feedback.channel,
        status=feedback.status,
        confidential=feedback.confidential,
        assignee=feedback.assignee.email if feedback.assignee else None,
        tags=tags_of(feedback, vault),
        text=readable_text(feedback, user, vault),
        contact=pseudonym(feedback),
        respond_by=feedback.due_at,
        overdue=is_overdue(feedback, utcnow()),
        referral=ReferralItem(partner=referral.partner.name, status=referral.status, at=status_at(referral))
        if referral
        else None,
        attachments=[
            AttachmentItem(kind=f.kind, content_type=f.content_type, seconds=f.seconds, status=f.status) for f in files
        ],
    )


@router.get(
    "/feedback",
    response_model=FeedbackPage,
    responses={400: {"model": Problem, "description": "A filter value that cannot be used"}, 401: {"model": Problem}},
)
def list_feedback(
    request: Request,
    user: ApiUserDep,
    db: DbDep,
    runtime: RuntimeDep,
    status: Annotated[str | None, Query(description=CaseStatus.described())] = None,
    kind: Annotated[str | None, Query(description=Kind.described())] = None,
    category: Annotated[str | None, Query(description="e.g. water_sanitation")] = None,
    site: Annotated[str | None, Query(description="A site's slug, e.g. niamana")] = None,
    language: Annotated[str | None, Query(description="e.g. fr, bm")] = None,
    channel: Annotated[str | None, Query(description=Channel.described())] = None,
    assignee: Annotated[str | None, Query(description="none | me | a staff id")] = None,
    date_from: Annotated[str | None, Query(description="YYYY-MM-DD, included")] = None,
    date_to: Annotated[str | None, Query(description="YYYY-MM-DD, included")] = None,
    q: Annotated[
        str | None, Query(description="A reference (exact), otherwise words in the text (accents folded)")
    ] = None,
    referral: Annotated[str | None, Query(description="any | sent | accepted | declined | done (latest)")] = None,
    sort: Annotated[str | None, Query(description="newest (default) | oldest | due")] = None,
    before: Annotated[str | None, Query(description="The `next` of the previous page, in the same sort")] = None,
    limit: Annotated[
        str | None, Query(description=f"Items per page, 1 to {MAX_PAGE_SIZE} (default {PAGE_SIZE})")
    ] = None,
) -> FeedbackPage:
    try:
        filters = Filters.parse(request.query_params)
        size = _limit(limit)
        tz = ZoneInfo(runtime.settings.timezone)
        page = feedback_page(db, user, filters, before=before or None, limit=size, tz=tz)
    except InvalidFilter as invalid:
        raise HTTPException(status_code=400, detail=str(invalid)) from None
    referrals = latest_referrals(db, [item.id for item in page.items])
    files = files_of(db, [item.id for item in page.items])
    items = [_item(runtime.vault, user, item, referrals.get(item.id), files.get(item.id, [])) for item in page.items]
    record_reads(db, page.items, user, READ_THROUGH_API)
    db.commit()
    return FeedbackPage(items=items, next=page.next)


def _limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return PAGE_SIZE
    size = whole_number(raw, 1, MAX_PAGE_SIZE)
    if size is None:
        raise InvalidFilter("limit", f"limit must be a number from 1 to {MAX_PAGE_SIZE}, not “%(value)s”.", raw)
    return size


@router.get(
    "/feedback/{reference}",
    response_model=FeedbackItem,
    responses={
        404: {"model": Problem, "description": "No such reference, or not one this user may see"},
        401: {"model": Problem},
    },
)
def get_feedback(reference: str, user: ApiUserDep, db: DbDep, runtime: RuntimeDep) -> FeedbackItem:
    feedback = feedback_by_reference(db, user, reference)
    if feedback is None:
        raise HTTPException(status_code=404, detail="no such reference")
    files = files_of(db, [feedback.id]).get(feedback.id, [])
    item = _item(runtime.vault, user, feedback, latest_referrals(db, [feedback.id]).get(feedback.id), files)
    record_reads(db, [feedback], user, READ_THROUGH_API)
    db.commit()
    return item
