"""Staff logins: the signed-cookie login session, and a CSRF token for every form."""

import hmac
import secrets

from fastapi import Request

# The staff member a login session belongs to (Starlette's signed cookie, `request.session`).
LOGIN_KEY = "staff_id"
_CSRF_KEY = "csrf"


class LoginRequired(Exception):
    """A page that needs a signed-in staff member: answered with a redirect to the login page."""


class DeskOnly(Exception):
    """A page of the triage desk asked for by an account that does not work there: answered with a 403 page."""


def csrf_token(request: Request) -> str:
    session = request.scope.get("session")
    if session is None:
        return ""
    if _CSRF_KEY not in session:
        session[_CSRF_KEY] = secrets.token_urlsafe(24)
    return session[_CSRF_KEY]


def csrf_is_valid(request: Request, given: str) -> bool:
    expected = request.session.get(_CSRF_KEY, "")
    return bool(expected) and hmac.compare_digest(expected, given)
