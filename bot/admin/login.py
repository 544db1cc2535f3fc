"""Logging in and out, and choosing the interface language."""

from urllib.parse import urlparse

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from bot.accounts import authenticate
from bot.web.deps import DbDep, FormDep, InterfaceDep, StaffDep
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
async def login(request: Request, db: DbDep, form: FormDep, interface: InterfaceDep) -> Response:
    email, password = str(form.get("email", "")), str(form.get("password", ""))
    user = await run_in_threadpool(authenticate, db, email, password)
    db.commit()  # failures count even when the login is refused
    if user is None:
        _ = interface.gettext(request)
        error = _("Wrong email or password, or the account is locked for a while after too many attempts.")
        return interface.render(
            request, "login.html", status_code=401, next=_safe_next(str(form.get("next"))), email=email, error=error
        )
    request.session.clear()  # a new session on login: no fixation
    request.session[LOGIN_KEY] = user.id
    return RedirectResponse(_safe_next(str(form.get("next"))), status_code=303)


@router.post("/logout")
def logout(request: Request, user: StaffDep, form: FormDep) -> Response:
    request.session.clear()
    return RedirectResponse("/admin/login", status_code=303)


@router.get("/language")
def language(request: Request, to: str = "fr") -> Response:
    back = urlparse(request.headers.get("referer", ""))
    response = RedirectResponse(_safe_next(back.path + (f"?{back.query}" if back.query else "")), status_code=303)
    if to in INTERFACE_LANGUAGES:
        response.set_cookie("lang", to, max_age=365 * 24 * 3600, samesite="lax")
    return response
