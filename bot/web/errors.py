"""One answer per error, whatever raised it: a page in the staff's language (French by default) for a browser, JSON
for the API, plain text for the providers' webhooks as before."""

import logging
from collections.abc import Callable
from http import HTTPStatus

from fastapi import Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, PlainTextResponse, Response

from bot.vocabulary import N_
from bot.web.pages import Interface
from bot.web.security import STAFF_HEADERS

log = logging.getLogger(__name__)

# Machines read these answers: the API gets JSON, a provider's webhook what it got before.
API_PREFIX = "/api"
MACHINE_PREFIXES = (API_PREFIX, "/webhooks", "/healthz")

# The title and explanation of each error page (msgids of the `admin` catalogue); any other status reads as 400.
PAGES: dict[int, tuple[str, str]] = {
    400: (N_("Request not understood"), N_("This request could not be understood. Go back and try again.")),
    403: (N_("Forbidden"), N_("Your account has no access to this page.")),
    404: (N_("Page not found"), N_("There is no page at this address. It may have moved, or the link is wrong.")),
    405: (N_("Not allowed here"), N_("This page cannot be used this way: go back and use its links and buttons.")),
    413: (N_("Form too large"), N_("This form is too large to be sent (at most %(size)s KB).")),
    422: (
        N_("Form not understood"),
        N_("Some of what was sent could not be read: go back, check the form and send it again."),
    ),
    500: (
        N_("Something went wrong"),
        N_("The error has been recorded. Try again in a moment; if it happens again, tell an admin."),
    ),
}
# What staff can do about a refused form (deps._checked_form), said in their language.
N_("CSRF token missing or wrong; reload the page")


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def for_machines(path: str) -> bool:
    return any(_under(path, prefix) for prefix in MACHINE_PREFIXES)


def error_page(interface: Interface, request: Request, status: int, message: str | None = None, **context) -> Response:
    """The error page of `status` in the base layout; `message`, already translated, replaces the usual one."""
    title, usual = PAGES.get(status) or PAGES[500 if status >= 500 else 400]
    _ = interface.gettext(request)
    return interface.render(
        request, "error.html", status_code=status, title=_(title), message=message or _(usual), **context
    )


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def too_large(interface: Interface, max_body_bytes: int) -> Callable[[Request], Response]:
    """The page for a staff form refused unread (security.StaffGuard): it says the limit."""

    def page(request: Request) -> Response:
        _ = interface.gettext(request)
        text = _(PAGES[413][1]) % {"size": max_body_bytes // 1024}
        response = error_page(interface, request, 413, text, user=None)
        # The rest of the body is not read: the connection closes rather than carry it.
        response.headers["Connection"] = "close"
        return response

    return page


def _said(interface: Interface, request: Request, detail: object, status: int) -> str | None:
    """The exception's own detail when the reader's language has it: the catalogue's translation, or the English
    itself on an English page; never the bare HTTP phrase ("Not Found")."""
    if not isinstance(detail, str) or not detail or detail == _phrase(status):
        return None
    said = interface.gettext(request)(detail)
    return said if said != detail or interface.language(request) == "en" else None


def handlers(interface: Interface) -> dict[type[Exception] | int, Callable]:
    """The app's exception handlers: every HTTP error, unreadable input, and what nothing else caught (500)."""

    async def http_error(request: Request, error: HTTPException) -> Response:
        if for_machines(request.url.path):
            return await http_exception_handler(request, error)
        status = error.status_code
        page = error_page(interface, request, status, _said(interface, request, error.detail, status))
        page.headers.update(error.headers or {})  # Allow on a 405, WWW-Authenticate...
        return page

    async def unreadable(request: Request, error: RequestValidationError) -> Response:
        if for_machines(request.url.path):
            return await request_validation_exception_handler(request, error)
        return error_page(interface, request, 422)

    async def crashed(request: Request, error: Exception) -> Response:
        """Outside every middleware but Starlette's last one: the staff headers are set here."""
        path = request.url.path
        if _under(path, API_PREFIX):
            return JSONResponse({"detail": "Internal Server Error"}, status_code=500, headers=STAFF_HEADERS)
        if for_machines(path):
            return PlainTextResponse("Internal Server Error", status_code=500)
        try:
            # No signed-in user: the error may have left the database session unusable.
            page = error_page(interface, request, 500, user=None)
        except Exception:  # the page itself failed: the error is still answered, and logged by Starlette
            log.exception("the error page could not be rendered")
            return PlainTextResponse("Internal Server Error", status_code=500, headers=STAFF_HEADERS)
        page.headers.update(STAFF_HEADERS)
        return page

    return {HTTPException: http_error, RequestValidationError: unreadable, Exception: crashed}
