"""The staff side's defences over HTTP: the login cookie's key, a CSRF token for every form, and the guard in
front of every staff answer (security headers, staff forms read only within a size limit)."""

import hmac
import secrets
from collections.abc import Callable

from fastapi import Request
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.vocabulary import N_
from bot.whole_numbers import whole_number

# The login session's token in Starlette's signed cookie (`request.session`): the server keeps its hash
# (bot.accounts.start_login) and checks it on every request, so a login can be ended server-side.
LOGIN_KEY = "login"
_CSRF_KEY = "csrf"

# Paths of the staff pages and of the API.
STAFF_PREFIXES = ("/admin", "/api")
# No inline script may run, whatever gets into a page: only script files of our own. Inline styles stay allowed: the
# pages carry one small inline stylesheet (one request less on a slow connection) and style attributes, and
# without any other source allowed (no images or fonts from elsewhere) injected CSS has nowhere to leak to.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        # Scripts only as files from our own origin (the case page's reply counter): never inline, never injected.
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "media-src 'self'",  # the recordings and voice notes people sent (bot.media), from the case page
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)
STAFF_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # a case's URL holds its reference: never sent to another site
    "Cache-Control": "no-store",  # staff answers hold personal data: not kept in shared or browser caches
}
_BODILESS = frozenset({"GET", "HEAD", "OPTIONS"})


class LoginRequired(Exception):
    """A page that needs a signed-in staff member: answered with a redirect to the login page."""


class Forbidden(Exception):
    """A page asked for by an account whose role does not reach it: answered with a 403 page saying so.

    `title` and `message` are msgids of the `admin` catalogue.
    """

    title = N_("Forbidden")
    message = N_("Your account has no access to this page.")


class DeskOnly(Forbidden):
    """A page of the triage desk."""

    title = N_("Inbox")
    message = N_("Your account has no access to the inbox.")


class OrganizersOnly(Forbidden):
    """An organizer's page: assemblies and broadcasts."""

    title = N_("Assemblies")
    message = N_("Your account has no access to assemblies and broadcasts.")


class AdminsOnly(Forbidden):
    """An admin's page: staff accounts."""

    title = N_("Staff accounts")
    message = N_("Only admins administer baro: accounts, sites, partners, canned replies and settings.")


def csrf_token(request: Request) -> str:
    session = request.scope.get("session")
    if session is None:
        return ""
    if _CSRF_KEY not in session:
        session[_CSRF_KEY] = secrets.token_urlsafe(24)
    return session[_CSRF_KEY]


def csrf_is_valid(request: Request, given: str) -> bool:
    expected = request.session.get(_CSRF_KEY, "")
    # As bytes: compare_digest refuses str with non-ASCII characters (a forged token may hold some).
    return bool(expected) and hmac.compare_digest(expected.encode(), given.encode())


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


class StaffGuard:
    """ASGI middleware in front of the staff side: every answer under /admin and /api (pages, redirects,
    errors, the CSV export, the API) gets STAFF_HEADERS; a staff form's body is read whole, at most
    `max_body_bytes`, before anything parses it, and a larger one is refused unread with the `too_large` page.
    `uploads` gives the few paths that take a file (a voice prompt recording) their own larger limit."""

    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int,
        too_large: Callable[[Request], Response],
        uploads: dict[str, int] | None = None,
    ):
        self.app, self.max_body_bytes, self.too_large = app, max_body_bytes, too_large
        self.uploads = uploads or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not any(_under(scope["path"], prefix) for prefix in STAFF_PREFIXES):
            await self.app(scope, receive, send)
            return

        async def send_guarded(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in STAFF_HEADERS.items():
                    headers[name] = value
            await send(message)

        if _under(scope["path"], "/admin") and scope["method"] not in _BODILESS:
            limit = next((size for path, size in self.uploads.items() if _under(scope["path"], path)), None)
            body = await self._read_within_limit(scope, receive, limit or self.max_body_bytes)
            if body is None:
                await self.too_large(Request(scope))(scope, receive, send_guarded)
                return
            receive = _replay(body, receive)
        await self.app(scope, receive, send_guarded)

    @staticmethod
    async def _read_within_limit(scope: Scope, receive: Receive, limit: int) -> bytes | None:
        """The whole body, or None as soon as it is known to be over the limit (by its length, or while read)."""
        if (whole_number(Headers(scope=scope).get("content-length")) or 0) > limit:
            return None
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return bytes(body)  # the app will see the disconnect on its next receive
            body += message.get("body", b"")
            if len(body) > limit:
                return None
            if not message.get("more_body", False):
                return bytes(body)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the body already read, then waits on the client as before (for a disconnect)."""
    given = False

    async def replayed() -> Message:
        nonlocal given
        if given:
            return await receive()
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed
