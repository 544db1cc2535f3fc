"""The partner directory at /admin/partners, for admins: the list, adding, editing, deactivating and reactivating."""

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from bot.cases import partners
from bot.cases.lifecycle import Refused
from bot.models import Partner, Site
from bot.vocabulary import Category
from bot.web.deps import AdminDep, FormDep, StaffPage, StaffPageDep
from bot.web.pages import flash
from bot.whole_numbers import record_id

router = APIRouter(prefix="/admin/partners")

PAGE = "/admin/partners"


def _fields(page: StaffPage, values: dict) -> dict:
    """What the partner form offers, and what it holds."""
    sites = page.db.scalars(select(Site).order_by(Site.position, Site.name))
    return {
        "services": [(code.value, page.gettext(code.label)) for code in Category],
        "sites": [(site.slug, site.name) for site in sites if site.active or site.slug in values["sites"]],
        "limits": {"name": partners.NAME_MAX_CHARS, "contact": partners.CONTACT_MAX_CHARS},
        "values": values,
    }


def _values(form=None, partner: Partner | None = None) -> dict:
    if form is not None:
        return {
            "name": str(form.get("name") or ""),
            "services": [str(code) for code in form.getlist("services")],
            "sites": [str(slug) for slug in form.getlist("sites")],
            "contact": str(form.get("contact") or ""),
        }
    if partner is not None:
        return {
            "name": partner.name,
            "services": list(partner.services or []),
            "sites": [site.slug for site in partner.sites],
            "contact": partner.contact or "",
        }
    return {"name": "", "services": [], "sites": [], "contact": ""}


def _list(page: StaffPage, status_code: int = 200, error: str | None = None, form=None) -> Response:
    _ = page.gettext
    rows = [
        {
            "id": partner.id,
            "name": partner.name,
            "services": ", ".join(_(Category(code).label) for code in partner.services or [] if Category.has(code)),
            "sites": ", ".join(site.name for site in partner.sites) or _("every site"),
            "contact": partner.contact,
            "active": partner.active,
        }
        for partner in partners.directory(page.db)
    ]
    return page.render(
        "partners.html", status_code=status_code, partners=rows, error=error, **_fields(page, _values(form))
    )


def _edit(page: StaffPage, partner: Partner, status_code: int = 200, error: str | None = None, form=None) -> Response:
    values = _values(form, partner)
    return page.render("partner.html", status_code=status_code, partner=partner, error=error, **_fields(page, values))


def _missing(page: StaffPage) -> Response:
    _ = page.gettext
    return page.render("missing.html", status_code=404, title=_("Partners"), message=_("No such partner."), back=PAGE)


def _partner(page: StaffPage, partner_id: str) -> Partner | None:
    wanted = record_id(partner_id)
    return page.db.get(Partner, wanted) if wanted is not None else None


def _save(page: StaffPage, partner: Partner | None, form) -> str | None:
    """Save the form into `partner` (None: a new one); the error to show, or None once committed."""
    values = _values(form)
    try:
        saved = partners.save(
            page.db,
            partner,
            name=values["name"],
            services=values["services"],
            sites=values["sites"],
            contact=values["contact"],
        )
    except Refused as refused:
        page.db.rollback()
        return refused.text(page.gettext)
    page.db.commit()
    flash(page.request, "info", page.gettext("%(name)s is saved in the directory.") % {"name": saved.name})
    return None


@router.get("")
def list_partners(_admin: AdminDep, page: StaffPageDep) -> Response:
    return _list(page)


@router.post("")
def add(_admin: AdminDep, page: StaffPageDep, form: FormDep) -> Response:
    error = _save(page, None, form)
    if error:
        return _list(page, 400, error=error, form=form)
    return RedirectResponse(PAGE, status_code=303)


@router.get("/{partner_id}")
def edit_page(partner_id: str, _admin: AdminDep, page: StaffPageDep) -> Response:
    partner = _partner(page, partner_id)
    return _edit(page, partner) if partner is not None else _missing(page)


@router.post("/{partner_id}")
def edit(partner_id: str, _admin: AdminDep, page: StaffPageDep, form: FormDep) -> Response:
    partner = _partner(page, partner_id)
    if partner is None:
        return _missing(page)
    error = _save(page, partner, form)
    if error:
        return _edit(page, page.db.get(Partner, partner.id), 400, error=error, form=form)
    return RedirectResponse(PAGE, status_code=303)


@router.post("/{partner_id}/active")
def set_active(partner_id: str, _admin: AdminDep, page: StaffPageDep, form: FormDep) -> Response:
    _ = page.gettext
    partner = _partner(page, partner_id)
    if partner is None:
        return _missing(page)
    active = form.get("active") == "1"
    if partners.set_active(partner, active):
        page.db.commit()
    if active:
        flash(page.request, "info", _("%(name)s is offered for referrals again.") % {"name": partner.name})
    else:
        flash(page.request, "info", _("%(name)s is no longer offered for referrals.") % {"name": partner.name})
    return RedirectResponse(PAGE, status_code=303)
