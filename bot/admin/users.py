"""Staff accounts at /admin/users, for admins: who has an account, creating one, disabling and enabling.

A new account's password is generated and shown once, in the answer to the form itself: never in a
redirect's flash, which would carry it in the session cookie.
"""

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from bot import accounts
from bot.cases.access import sites_of
from bot.models import StaffUser
from bot.vocabulary import Role
from bot.web.deps import AdminDep, FormDep, StaffPage, StaffPageDep
from bot.web.pages import flash
from bot.whole_numbers import record_id

router = APIRouter(prefix="/admin/users")

PAGE = "/admin/users"


def _page(page: StaffPage, status_code: int = 200, **context) -> Response:
    users = page.db.scalars(select(StaffUser).order_by(StaffUser.email).options(selectinload(StaffUser.sites)))
    return page.render(
        "users.html",
        status_code=status_code,
        users=list(users),
        roles=list(Role),
        sites=sites_of(page.db, page.user, active_only=True),
        **context,
    )


@router.get("")
def list_users(_admin: AdminDep, page: StaffPageDep) -> Response:
    return _page(page)


@router.post("")
def create(_admin: AdminDep, page: StaffPageDep, form: FormDep) -> Response:
    _ = page.gettext
    email, role = str(form.get("email", "")).strip(), str(form.get("role", ""))
    sites = [str(slug) for slug in form.getlist("sites")] if role == Role.TRIAGE else []
    password = accounts.generate_password()
    try:
        with page.db.begin_nested():
            if not email or "@" not in email:
                raise ValueError(_("Give the person's email: it is how they log in."))
            accounts.create_user(page.db, email, role, password, sites)
    except IntegrityError:
        return _page(page, 400, error=_("That email already has an account."), form=form)
    except ValueError as error:
        return _page(page, 400, error=str(error), form=form)
    page.db.commit()
    return _page(page, 201, created={"email": email.lower(), "role": role, "password": password})


@router.post("/{user_id}/active")
def set_active(user_id: str, admin: AdminDep, page: StaffPageDep, form: FormDep) -> Response:
    _ = page.gettext
    user = page.db.get(StaffUser, record_id(user_id)) if record_id(user_id) else None
    if user is None:
        flash(page.request, "error", _("No such account."))
    elif user.id == admin.id:
        flash(page.request, "error", _("You cannot disable your own account."))
    else:
        if form.get("active") == "1":
            accounts.enable(page.db, user)
            flash(page.request, "info", _("%(email)s can log in again.") % {"email": user.email})
        else:
            accounts.disable(page.db, user)
            flash(page.request, "info", _("%(email)s can no longer log in.") % {"email": user.email})
        page.db.commit()
    return RedirectResponse(PAGE, status_code=303)
