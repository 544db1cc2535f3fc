"""Sites at /admin/sites, for admins: added (the code from the name), renamed, put in the phone menu's order,
deactivated and reactivated.

A deactivated site leaves the phone menu and the sites staff code new cases with; cases, contacts and accounts
that name it keep it. Its code (`slug`) never changes: flows and exports may carry it.
"""

import logging
import re

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from starlette.datastructures import FormData

from bot.models import Site
from bot.search import fold
from bot.web.deps import AdminDep, FormDep, StaffPage, StaffPageDep
from bot.web.pages import flash
from bot.whole_numbers import record_id

router = APIRouter(prefix="/admin/sites")
log = logging.getLogger(__name__)

PAGE = "/admin/sites"
# The model's columns.
MAX_NAME = 80
MAX_SLUG = 40


def slug_for(db, name: str) -> str:
    """A new site's code: its name folded to ASCII words joined by `-` (`Sénou Koro` → `senou-koro`), unique."""
    base = re.sub(r"[^a-z0-9]+", "-", fold(name) or "").strip("-")[: MAX_SLUG - 4].strip("-") or "site"
    taken = set(db.scalars(select(Site.slug).where(Site.slug.like(f"{base}%"))))
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


def _ordered(page: StaffPage) -> list[Site]:
    return list(page.db.scalars(select(Site).order_by(Site.position, Site.name, Site.id)))


def _list_page(page: StaffPage, status_code: int = 200, **context) -> Response:
    return page.render("sites.html", status_code=status_code, sites=_ordered(page), max_name=MAX_NAME, **context)


def _site_page(page: StaffPage, site: Site, status_code: int = 200, **context) -> Response:
    return page.render("site.html", status_code=status_code, site=site, max_name=MAX_NAME, **context)


def _site(page: StaffPage, raw_id: str) -> Site | None:
    number = record_id(raw_id)
    return page.db.get(Site, number) if number is not None else None


def _missing(page: StaffPage) -> Response:
    _ = page.gettext
    return page.render(
        "missing.html", status_code=404, title=_("Sites"), message=_("There is no such site."), back=PAGE
    )


def _read(page: StaffPage, form: FormData, site: Site | None = None) -> tuple[str, str]:
    """The name and region a form gives, checked: a ValueError in the reader's language otherwise."""
    _ = page.gettext
    name, region = (" ".join(str(form.get(field, "")).split()) for field in ("name", "region"))
    if not name or not region:
        raise ValueError(_("Give the site's name and its region."))
    if len(name) > MAX_NAME or len(region) > MAX_NAME:
        raise ValueError(_("A name or a region has at most %(count)s characters.") % {"count": MAX_NAME})
    same = select(Site.id).where(func.lower(Site.name) == name.lower())
    if page.db.scalar(same if site is None else same.where(Site.id != site.id)) is not None:
        raise ValueError(_("Another site already has this name."))
    return name, region


@router.get("")
def list_sites(_admin: AdminDep, page: StaffPageDep) -> Response:
    return _list_page(page)


@router.post("")
def add(admin: AdminDep, page: StaffPageDep, form: FormDep) -> Response:
    _ = page.gettext
    try:
        name, region = _read(page, form)
    except ValueError as error:
        return _list_page(page, 400, error=str(error), form=form)
    last = page.db.scalar(select(func.max(Site.position)))
    site = Site(slug=slug_for(page.db, name), name=name, region=region, position=(last or 0) + 1, active=True)
    page.db.add(site)
    page.db.commit()
    log.info("staff #%s added site %s", admin.id, site.slug)
    flash(page.request, "info", _("Site added: %(name)s. It is in the phone menu now.") % {"name": name})
    return RedirectResponse(PAGE, status_code=303)


@router.get("/{site_id}")
def site_page(site_id: str, _admin: AdminDep, page: StaffPageDep) -> Response:
    site = _site(page, site_id)
    return _missing(page) if site is None else _site_page(page, site)


@router.post("/{site_id}")
def rename(site_id: str, admin: AdminDep, page: StaffPageDep, form: FormDep) -> Response:
    _ = page.gettext
    site = _site(page, site_id)
    if site is None:
        return _missing(page)
    try:
        site.name, site.region = _read(page, form, site)
    except ValueError as error:
        return _site_page(page, site, 400, error=str(error), form=form)
    page.db.commit()
    log.info("staff #%s renamed site %s", admin.id, site.slug)
    flash(page.request, "info", _("Site saved: %(name)s.") % {"name": site.name})
    return RedirectResponse(PAGE, status_code=303)


@router.post("/{site_id}/active")
def set_active(site_id: str, admin: AdminDep, page: StaffPageDep, form: FormDep) -> Response:
    _ = page.gettext
    site = _site(page, site_id)
    if site is None:
        return _missing(page)
    site.active = form.get("active") == "1"
    page.db.commit()
    log.info("staff #%s %s site %s", admin.id, "reactivated" if site.active else "deactivated", site.slug)
    if site.active:
        flash(page.request, "info", _("%(name)s is back in the phone menu.") % {"name": site.name})
    else:
        text = _("%(name)s is no longer offered in the phone menu nor for new cases; its cases keep it.")
        flash(page.request, "info", text % {"name": site.name})
    return RedirectResponse(PAGE, status_code=303)


@router.post("/{site_id}/move")
def move(site_id: str, admin: AdminDep, page: StaffPageDep, form: FormDep) -> Response:
    """One place up or down in the phone menu; every site is numbered again, so equal positions cannot stick."""
    _ = page.gettext
    site = _site(page, site_id)
    if site is None:
        return _missing(page)
    sites = _ordered(page)
    here = sites.index(site)
    there = here - 1 if form.get("direction") == "up" else here + 1
    if 0 <= there < len(sites):
        sites[here], sites[there] = sites[there], sites[here]
        for position, each in enumerate(sites):
            each.position = position
        page.db.commit()
        log.info("staff #%s moved site %s %s", admin.id, site.slug, form.get("direction"))
        flash(
            page.request,
            "info",
            (_("%(name)s moved up.") if there < here else _("%(name)s moved down.")) % {"name": site.name},
        )
    return RedirectResponse(f"{PAGE}#site-{site.id}", status_code=303)
