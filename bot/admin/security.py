"""Staff sessions (a signed cookie), CSRF tokens for every form, and the current user."""

import hmac
import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from bot.accounts import user_for_token
from bot.models import StaffUser

SESSION_USER = "staff_id"


class LoginRequired(Exception):
    """Raised for a page that needs a signed-in user; answered with a redirect to the login page."""


def csrf_token(request: Request) -> str:
    session = request.scope.get("session")
    if session is None:
        return ""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return session["csrf"]


async def checked_form(request: Request):
    """The submitted form, after checking its CSRF token against the session's."""
    form = await request.form()
    expected = request.session.get("csrf", "")
    if not expected or not hmac.compare_digest(expected, str(form.get("csrf", ""))):
        raise HTTPException(status_code=403, detail="CSRF token missing or wrong; reload the page")
    return form


def db_session(request: Request):
    with request.app.state.runtime.sessions() as db:
        yield db


DB = Annotated[Session, Depends(db_session)]


def staff_user(request: Request, db: DB) -> StaffUser:
    """The signed-in staff member, for pages."""
    user_id = request.session.get(SESSION_USER)
    user = db.get(StaffUser, user_id) if user_id else None
    if user is None or not user.active:
        raise LoginRequired()
    request.state.user = user
    return user


def api_user(request: Request, db: DB) -> StaffUser:
    """The staff member behind a `Authorization: Bearer <token>` header, for /api/v1."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    user = user_for_token(db, token.strip()) if scheme.lower() == "bearer" and token else None
    if user is None:
        raise HTTPException(
            status_code=401, detail="a valid API token is required", headers={"WWW-Authenticate": "Bearer"}
        )
    return user


Staff = Annotated[StaffUser, Depends(staff_user)]
ApiUser = Annotated[StaffUser, Depends(api_user)]
Form = Annotated[object, Depends(checked_form)]
