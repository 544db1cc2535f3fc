"""The monthly report at /admin/reports: one site (or all) and one month, printable, for the community.

Desk staff and organizers read it (`bot.cases.report` decides what it counts); organizers can open the
broadcast form prefilled with its summary, in every language of the line, addressed to the site.
"""

from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_decimal
from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import select

from bot.cases import report
from bot.cases.access import organizes, sites_of
from bot.models import Site, utcnow
from bot.vocabulary import N_, Category, Kind, label
from bot.web.deps import StaffPageDep
from bot.web.security import Forbidden

router = APIRouter(prefix="/admin")

OUTCOME_LABELS = {
    "resolved": N_("Resolved or closed"),
    "referred": N_("With a partner"),
    "open": N_("In progress"),
}


class ReportsOnly(Forbidden):
    title = N_("Monthly report")
    message = N_("Your account has no access to the reports.")


def _site(page, slug: str) -> Site | None:
    """The chosen site, among those the reader works for; None for all of them. ValueError for any other."""
    if not slug:
        return None
    for site in sites_of(page.db, page.user):
        if site.slug == slug:
            return site
    raise ValueError(slug)


def _broadcast_link(page, found: report.Report) -> str:
    """The broadcast form, prefilled with the summary in every language of the line and, for a site, its audience."""
    texts = report.summary_texts(found, page.runtime.catalogues, page.runtime.settings.languages)
    params = [(f"text_{lang}", text) for lang, text in texts.items()]
    if found.site is not None:
        params.append(("sites", found.site.slug))
    return "/admin/broadcasts?" + urlencode(params)


@router.get("/reports")
def reports(page: StaffPageDep) -> Response:
    if not report.may_read(page.user):
        raise ReportsOnly()
    _, lang, settings = page.gettext, page.interface.language(page.request), page.runtime.settings
    tz = ZoneInfo(settings.timezone)
    now = utcnow()
    params = page.request.query_params
    sites = sites_of(page.db, page.user)
    error = None
    try:
        month = report.Month.parse(params.get("month"), now.astimezone(tz).date())
    except report.InvalidMonth as invalid:
        error, month = _(invalid.message), report.Month.parse(None, now.astimezone(tz).date())
    try:
        site = _site(page, (params.get("site") or "").strip())
    except ValueError:
        error, site = _("Unknown site: “%(value)s”.") % {"value": (params.get("site") or "")[:80]}, None
    if error:
        return page.render("report.html", status_code=400, error=error, sites=sites, month=month, site=None, found=None)
    found = report.monthly_report(page.db, page.user, month, site, tz, now)
    names = dict(page.db.execute(select(Site.id, Site.name)).all()) if site is None else {}

    def month_link(other: report.Month) -> str:
        return "/admin/reports?" + urlencode({"site": site.slug if site else "", "month": other.key})

    return page.render(
        "report.html",
        error=None,
        sites=sites,
        site=site,
        month=month,
        month_name=month.name(lang),
        found=found,
        categories={line.key: _(label(Category, line.key)) if line.key else _("No category") for line in found.lines},
        kinds=[(_(Kind(kind).plural), count) for kind, count in found.kinds],
        by_site=[(names.get(site_id) or _("No site"), count) for site_id, count in found.sites],
        outcomes=[(key, _(text)) for key, text in OUTCOME_LABELS.items()],
        previous=month_link(month.previous()),
        next=month_link(month.next()) if month.next().first_day <= now.astimezone(tz).date() else None,
        broadcast=_broadcast_link(page, found) if organizes(page.user) and not found.empty else None,
        small=report.SMALL,
        today=format_date(now.astimezone(tz).date(), "long", locale=lang),
        number=lambda value: format_decimal(value, "#,##0.#", locale=lang),
        targets={"acknowledge": settings.acknowledge_hours, "resolve": settings.resolve_days},
    )
