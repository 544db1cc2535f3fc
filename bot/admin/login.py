"""Logging in and out, and choosing the interface language."""

from urllib.parse import urlparse

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from bot.accounts import authenticate, end_login, start_login
from bot.web.deps import DbDep, FormDep, InterfaceDep, RuntimeDep, StaffDep
from bot.web.pages import INTERFACE_LANGUAGES
from bot.web.security import LOGIN_KEY

router = APIRouter(prefix="/admin")


def _safe_next(target: str | None) -> str:
    """Only paths of this site: a login link must not send staff elsewhere."""
    return target if target and target.startswith("/admin") and not target.startswith("//") else "/admin"


@router.get("/login")
def login_page(request: Request, interface: InterfaceDep, next: str = "/admin") -> Response:
    return interface.render(request, "login.html", next=_safe_next(next), email="", error=None)


@router.post("/login")
def login(request: Request, db: DbDep, runtime: RuntimeDep, form: FormDep, interface: InterfaceDep) -> Response:
    email, password = str(form.get("email", "")), str(form.get("password", ""))
    # Its own transactions: a try is counted, for parallel attempts to see, before the password is checked.
    staff_id = authenticate(runtime.database, email, password)
    if staff_id is None:
        _ = interface.gettext(request)
        error = _("Wrong email or password, or the account is locked for a while after too many attempts.")
        return interface.render(
            request, "login.html", status_code=401, next=_safe_next(str(form.get("next"))), email=email, error=error
        )
    token = start_login(db, staff_id)
    db.commit()
    request.session.clear()  # a new session on login: no fixation
    request.session[LOGIN_KEY] = token
    return RedirectResponse(_safe_next(str(form.get("next"))), status_code=303)


@router.post("/logout")
def logout(request: Request, user: StaffDep, db: DbDep, form: FormDep) -> Response:
    end_login(db, request.session.get(LOGIN_KEY))  # a copy of the cookie stops working too
    db.commit()
    request.session.clear()
    return RedirectResponse("/admin/login", status_code=303)


@router.get("/language")
def language(request: Request, to: str = "fr") -> Response:
    try:
        back = urlparse(request.headers.get("referer", ""))
        target = back.path + (f"?{back.query}" if back.query else "")
    except ValueError:  # a Referer that is no URL (`http://[`): back to the start
        target = None
    response = RedirectResponse(_safe_next(target), status_code=303)
    if to in INTERFACE_LANGUAGES:
        response.set_cookie("lang", to, max_age=365 * 24 * 3600, samesite="lax")
    return response
