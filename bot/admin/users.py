"""Staff accounts at /admin/users, for admins: the list with each account's last login, creating one, and on an
account's own page changing its role and sites, disabling and enabling it, resetting its password, revoking its
API token.

A generated password is shown once, in the answer to the form itself: never in a redirect's flash, which would
carry it in the session cookie. No change may leave baro without an active admin, nor an admin lock themselves out.
Every change is said in a flash and logged (who changed which account, never a password).
"""

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from starlette.datastructures import FormData

from bot import accounts
from bot.models import Site, StaffUser
from bot.vocabulary import N_, Role
from bot.web.deps import AdminDep, FormDep, StaffPage, StaffPageDep
from bot.web.pages import flash
from bot.whole_numbers import record_id

router = APIRouter(prefix="/admin/users")
log = logging.getLogger(__name__)

PAGE = "/admin/users"
ROLE_LABELS = {
    Role.ADMIN: N_("Admin"),
    Role.TRIAGE: N_("Triage"),
    Role.PROTECTION: N_("Protection focal point"),
    Role.ORGANIZER: N_("Organizer"),
}
LOCKOUTS = {
    accounts.Lockout.SELF: N_("You cannot disable your own account or take away your own admin role."),
    accounts.Lockout.LAST_ADMIN: N_("This is the last active admin: make another account admin first."),
}


def _when(value: datetime | None, zone: ZoneInfo) -> dict | None:
    if value is None:
        return None
    local = value.astimezone(zone)
    return {"iso": local.isoformat(timespec="seconds"), "text": local.strftime("%Y-%m-%d %H:%M")}


def _common(page: StaffPage) -> dict:
    _ = page.gettext
    return {
        "roles": [(role.value, _(ROLE_LABELS[role])) for role in Role],
        "role_label": lambda code: _(ROLE_LABELS[Role(code)]) if code in Role._value2member_map_ else code,
        "zone": ZoneInfo(page.runtime.settings.timezone),
        "when": _when,
    }


def _all_sites(page: StaffPage) -> list[Site]:
    return list(page.db.scalars(select(Site).order_by(Site.position, Site.name)))


def _list_page(page: StaffPage, status_code: int = 200, **context) -> Response:
    users = page.db.scalars(select(StaffUser).order_by(StaffUser.email).options(selectinload(StaffUser.sites)))
    return page.render(
        "users.html",
        status_code=status_code,
        users=list(users),
        sites=[site for site in _all_sites(page) if site.active],
        **_common(page),
        **context,
    )


def _account_page(page: StaffPage, account: StaffUser, status_code: int = 200, **context) -> Response:
    sites = [site for site in _all_sites(page) if site.active or site in account.sites]
    return page.render("user.html", status_code=status_code, account=account, sites=sites, **_common(page), **context)


def _account(page: StaffPage, raw_id: str) -> StaffUser | None:
    number = record_id(raw_id)  # strictly: never int("²"), nor a number past any id
    return page.db.get(StaffUser, number) if number is not None else None


def _missing(page: StaffPage) -> Response:
    _ = page.gettext
    return page.render(
        "missing.html", status_code=404, title=_("Staff accounts"), message=_("No such account."), back=PAGE
    )


def _role_and_sites(page: StaffPage, form: FormData) -> tuple[str, list[str]]:
    """The role and sites a form asks for, checked: a ValueError in the reader's language otherwise."""
    _ = page.gettext
    role = str(form.get("role", ""))
    if role not in Role._value2member_map_:
        raise ValueError(_("Choose a role from the list."))
    slugs = sorted({str(slug) for slug in form.getlist("sites")}) if role == Role.TRIAGE else []
    known = set(page.db.scalars(select(Site.slug).where(Site.slug.in_(slugs)))) if slugs else set()
    if known != set(slugs):
        raise ValueError(_("Choose sites from the list."))
    return role, slugs


def _back(account: StaffUser) -> RedirectResponse:
    return RedirectResponse(f"{PAGE}/{account.id}", status_code=303)


@router.get("")
def list_users(_admin: AdminDep, page: StaffPageDep) -> Response:
    return _list_page(page)


@router.post("")
def create(admin: AdminDep, page: StaffPageDep, form: FormDep) -> Response:
    _ = page.gettext
    email = str(form.get("email", "")).strip()
    password = accounts.generate_password()
    try:
        if not email or "@" not in email or len(email) > 254:
            raise ValueError(_("Give the person's email: it is how they log in."))
        role, slugs = _role_and_sites(page, form)
        with page.db.begin_nested():
            account = accounts.create_user(page.db, email, role, password, slugs)
    except IntegrityError:
        return _list_page(page, 400, error=_("That email already has an account."), form=form)
    except ValueError as error:
        return _list_page(page, 400, error=str(error), form=form)
    page.db.commit()
    log.info("staff #%s created account #%s (%s)", admin.id, account.id, role)
    return _list_page(page, 201, created={"id": account.id, "email": account.email, "role": role, "password": password})


@router.get("/{user_id}")
def account_page(user_id: str, _admin: AdminDep, page: StaffPageDep) -> Response:
    account = _account(page, user_id)
    return _missing(page) if account is None else _account_page(page, account)


@router.post("/{user_id}/role")
def change_role(user_id: str, admin: AdminDep, page: StaffPageDep, form: FormDep) -> Response:
    _ = page.gettext
    account = _account(page, user_id)
    if account is None:
        return _missing(page)
    try:
        role, slugs = _role_and_sites(page, form)
    except ValueError as error:
        return _account_page(page, account, 400, error=str(error))
    refused = accounts.lockout(page.db, admin, account, role=role)
    if refused:
        return _account_page(page, account, 409, error=_(LOCKOUTS[refused]))
    accounts.change_role(page.db, account, role, slugs)
    page.db.commit()
    log.info("staff #%s set account #%s to %s, sites %s", admin.id, account.id, role, slugs or "all")
    flash(
        page.request, "info", _("%(email)s is now: %(role)s.") % {"email": account.email, "role": _(ROLE_LABELS[role])}
    )
    return _back(account)


@router.post("/{user_id}/active")
def set_active(user_id: str, admin: AdminDep, page: StaffPageDep, form: FormDep) -> Response:
    _ = page.gettext
    account = _account(page, user_id)
    if account is None:
        return _missing(page)
    active = form.get("active") == "1"
    refused = accounts.lockout(page.db, admin, account, active=active)
    if refused:
        return _account_page(page, account, 409, error=_(LOCKOUTS[refused]))
    if active:
        accounts.enable(page.db, account)
        flash(page.request, "info", _("%(email)s can log in again.") % {"email": account.email})
    else:
        accounts.disable(page.db, account)
        flash(page.request, "info", _("%(email)s can no longer log in.") % {"email": account.email})
    page.db.commit()
    log.info("staff #%s %s account #%s", admin.id, "enabled" if active else "disabled", account.id)
    return _back(account)


@router.post("/{user_id}/password")
def reset_password(user_id: str, admin: AdminDep, page: StaffPageDep, form: FormDep) -> Response:
    """A new generated password, shown once in this answer; every login of the account ends."""
    account = _account(page, user_id)
    if account is None:
        return _missing(page)
    password = accounts.generate_password()
    accounts.reset_password(page.db, account, password)
    page.db.commit()
    log.info("staff #%s reset the password of account #%s", admin.id, account.id)
    return _account_page(page, account, reset=password)


@router.post("/{user_id}/token")
def revoke_token(user_id: str, admin: AdminDep, page: StaffPageDep, form: FormDep) -> Response:
    _ = page.gettext
    account = _account(page, user_id)
    if account is None:
        return _missing(page)
    accounts.revoke_api_token(account)
    page.db.commit()
    log.info("staff #%s revoked the API token of account #%s", admin.id, account.id)
    flash(page.request, "info", _("The API token of %(email)s no longer works.") % {"email": account.email})
    return _back(account)
