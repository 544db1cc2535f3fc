"""The triage inbox: what came in, filtered, searched, counted, sorted by date or by what is due.

It reads through `bot.cases.queries`, like the exports and the API, so they agree on what a filter
means and on what each user may see.
"""

from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from cryptography.fernet import InvalidToken
from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from bot.cases.access import desk_staff, sites_of
from bot.cases.deadlines import countdown
from bot.cases.queries import (
    NEWEST,
    REFERRED,
    SORTS,
    Filters,
    InvalidFilter,
    count_feedback,
    feedback_page,
)
from bot.cases.referrals import latest_referrals
from bot.i18n import Catalogues
from bot.models import Feedback, Referral, StaffUser, utcnow
from bot.phones import mask
from bot.runtime import Runtime
from bot.vault import Vault
from bot.vocabulary import ReferralStatus
from bot.web.deps import DbDep, DeskStaffDep, InterfaceDep, RuntimeDep
from bot.web.pages import choices

router = APIRouter(prefix="/admin")

EXCERPT = 90  # characters of the text shown in the list


def masked_phone(vault: Vault, feedback: Feedback) -> str:
    """The number as staff may see it in a list: masked; never the whole number."""
    contact = feedback.contact
    if contact is None or not contact.phone_encrypted:
        return ""
    try:
        return mask(vault.decrypt(contact.phone_encrypted))
    except InvalidToken:
        return "••••"


def _excerpt(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1].rstrip() + "…"


def _row(
    vault: Vault, catalogues: Catalogues, feedback: Feedback, referral: Referral | None, tz: ZoneInfo, now
) -> dict:
    created = feedback.created_at.astimezone(tz)
    return {
        "reference": feedback.reference,
        "created_iso": created.isoformat(timespec="seconds"),
        "created": created.strftime("%Y-%m-%d %H:%M"),
        "kind": feedback.kind,
        "category": feedback.category or "",
        "site": feedback.site.name if feedback.site else "",
        "language": catalogues.language_name(feedback.language),
        "channel": feedback.channel,
        "status": feedback.status,
        "assignee": feedback.assignee.email if feedback.assignee else "",
        "confidential": feedback.confidential,
        # Never the text of a confidential report in a list, whoever looks.
        "excerpt": "" if feedback.confidential else _excerpt(feedback.text),
        "phone": masked_phone(vault, feedback),
        "due": countdown(feedback.due_at, now),
        # Only rows the user may see are here (`visible`), so a confidential report's partner is shown only to
        # the roles that may read the report.
        "partner": referral.partner.name if referral is not None else "",
        "referral": referral.status if referral is not None else "",
    }


def _choices(runtime: Runtime, db: Session, user: StaffUser, _) -> dict:
    catalogues = runtime.catalogues
    return {
        "statuses": choices("status", _),
        "kinds": choices("kind", _),
        "categories": choices("category", _),
        "sites": [(site.slug, site.name) for site in sites_of(db, user)],
        "languages": [(code, catalogues.language_name(code)) for code in runtime.settings.languages],
        "channels": choices("channel", _),
        "assignees": [(str(member.id), member.email) for member in desk_staff(db)],
        "referrals": [(REFERRED, _("Referred (any answer)"))]
        + [(status.value, _(status.label)) for status in ReferralStatus],
    }


def _sorts(filters: Filters, _) -> list[dict]:
    """A link for each order, with the filters kept: the order shown first is the current one's."""
    links = []
    for sort, label in SORTS.items():
        params = {**filters.params(), "sort": sort}
        if sort == NEWEST:
            del params["sort"]
        query = urlencode(params)
        links.append(
            {"label": _(label), "url": "/admin/inbox" + (f"?{query}" if query else ""), "current": sort == filters.sort}
        )
    return links


def _count(count, _) -> str:
    """ "1 234 results", or "more than 10 000 results" where counting stopped; a thin space between thousands."""
    number = f"{count.number:,}".replace(",", "\u202f")
    if count.more:
        return _("More than %(num)s results") % {"num": number}
    return (_("%(num)s result") if count.number == 1 else _("%(num)s results")) % {"num": number}


@router.get("/inbox")
def inbox(request: Request, user: DeskStaffDep, db: DbDep, runtime: RuntimeDep, interface: InterfaceDep) -> Response:
    _ = interface.gettext(request)
    tz = ZoneInfo(runtime.settings.timezone)
    before = request.query_params.get("before") or None
    error, filters, rows, older, total = None, Filters(), [], None, ""
    try:
        filters = Filters.parse(request.query_params)
        page = feedback_page(db, user, filters, before=before, tz=tz)
        total = _count(count_feedback(db, user, filters, tz), _)
        referrals = latest_referrals(db, [item.id for item in page.items])
        now = utcnow()
        rows = [_row(runtime.vault, runtime.catalogues, item, referrals.get(item.id), tz, now) for item in page.items]
        if page.next:
            older = "/admin/inbox?" + urlencode({**filters.params(), "before": page.next})
    except InvalidFilter as invalid:
        error = invalid.text(_)
        # Keep what the person typed in the form, so it can be corrected.
        filters = _Typed(request.query_params)
    query = urlencode(filters.params()) if not error else ""
    return interface.render(
        request,
        "inbox.html",
        status_code=400 if error else 200,
        error=error,
        filters=filters,
        rows=rows,
        older=older,
        total=total,
        sorts=_sorts(filters if not error else Filters(), _),
        sort_label=_(SORTS.get(filters.sort, SORTS[NEWEST])) if not error else "",
        paged=before is not None and not error,
        first_page="/admin/inbox" + (f"?{query}" if query else ""),
        export="/admin/export.csv" + (f"?{query}" if query else ""),
        choices=_choices(runtime, db, user, _),
    )


class _Typed:
    """The submitted values as typed, for a form that refused them."""

    def __init__(self, params):
        self._params = params

    def __getattr__(self, name):
        return self._params.get(name) or None
