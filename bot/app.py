"""The FastAPI application."""

import hashlib
from contextlib import asynccontextmanager
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.middleware.sessions import SessionMiddleware

from bot import access_log
from bot.accounts import LOGIN_LIFETIME
from bot.admin import (
    TEMPLATES,
    assemblies,
    broadcasts,
    canned_replies,
    cases,
    dashboard,
    exports,
    home,
    inbox,
    login,
    partners,
    referrals,
    reports,
    sends,
    settings_view,
    sites,
    users,
    voice_prompts,
)
from bot.api import organizers, v1
from bot.channels import ADAPTERS, voice
from bot.channels.base import Refused
from bot.config import Settings, get_settings
from bot.runtime import Runtime
from bot.spool.replay import Flusher
from bot.web import errors, metrics
from bot.web.pages import Interface
from bot.web.providers import ProviderGate, provider_routes
from bot.web.security import Forbidden, LoginRequired, StaffGuard


def _health(runtime: Runtime) -> dict[str, object]:
    status: dict[str, object] = {}
    try:
        with runtime.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        status["database"] = "up"
    except SQLAlchemyError:
        status["database"] = "down"
    try:
        runtime.redis.ping()
        status["redis"] = "up"
    except RedisError:
        status["redis"] = "down"
    # Requests kept on this host's disk while the database was down, not yet replayed (bot/spool):
    # shown when there are some, or when the spool could not keep any.
    spool = runtime.spool
    waiting, failed, writable = spool.waiting(), spool.failed(), spool.writable()
    if waiting or failed or not writable:
        status["spool"] = {"waiting": waiting, "failed": failed, "writable": writable}
    return status


def create_app(settings: Settings | None = None) -> FastAPI:
    # Wherever the app is served (baro web's gunicorn workers, uvicorn.run), its access log hides `token=`.
    access_log.install()
    runtime = Runtime(settings or get_settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        _ = runtime.conversations  # fail at start, not at the first message, if flows or secrets are broken
        # Replays what waited in the spool once the database is back: the spool is this host's disk.
        flusher = Flusher(runtime, ADAPTERS)
        flusher.start()
        yield
        flusher.stop()
        runtime.close()

    settings = runtime.settings
    app = FastAPI(title="baro", lifespan=lifespan)
    app.state.runtime = runtime
    app.state.interface = interface = Interface(TEMPLATES, settings.locales_dir)
    # Staff sessions: a signed cookie, its key derived from SECRET_KEY so it differs from the data keys; it
    # carries a login token that the server checks and can end (bot/accounts.py). HttpOnly; Lax so that a link
    # to a case from a mail opens it signed in (every form also carries a CSRF token); Secure over https.
    app.add_middleware(
        SessionMiddleware,
        secret_key=hashlib.sha256(b"baro staff session:" + settings.secret_key.encode()).hexdigest(),
        session_cookie="baro_staff",
        max_age=int(LOGIN_LIFETIME.total_seconds()),
        same_site="lax",
        https_only=settings.public_url.startswith("https://"),
    )
    # Outermost: security headers on every staff answer, and staff forms refused past their size unread.
    too_large = errors.too_large(interface, settings.staff_max_body_bytes)
    uploads = {voice_prompts.PAGE: voice_prompts.MAX_UPLOAD_BYTES}  # a recording is far more than a form
    app.add_middleware(StaffGuard, max_body_bytes=settings.staff_max_body_bytes, too_large=too_large, uploads=uploads)
    app.add_middleware(ProviderGate, adapters=ADAPTERS)  # every message: straight to its endpoint
    metrics.install(app)  # every request timed, outermost; GET /metrics for Prometheus
    app.include_router(provider_routes(ADAPTERS))
    app.include_router(voice.router)  # the recorded prompts Twilio plays on a call
    routers = (login, home, inbox, exports, reports, cases, dashboard, sends, users, assemblies, broadcasts)
    routers += (canned_replies, sites, settings_view, voice_prompts)  # administration
    routers += (partners, referrals)  # the partner directory, and referring cases to it
    for module in (*routers, v1, organizers):
        app.include_router(module.router)

    # A French page (the reader's language) for a browser, JSON for the API: bot/web/errors.py.
    for raised, handler in errors.handlers(interface).items():
        app.add_exception_handler(raised, handler)

    @app.exception_handler(Refused)
    async def provider_refused(_request: Request, error: Refused) -> Response:
        """A provider's request refused while it was being answered (a reused message id): never a 500."""
        return PlainTextResponse(str(error), status_code=error.status)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, error: Forbidden) -> Response:
        return interface.render(request, "forbidden.html", status_code=403, title=error.title, message=error.message)

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, _error: LoginRequired) -> RedirectResponse:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/admin/login?next={quote(target)}", status_code=303)

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        """Up when messages can be taken: by the database, or by the spool while it is down; Redis only delays work."""
        status = await run_in_threadpool(_health, runtime)
        takes_messages = status["database"] == "up" or status.get("spool", {}).get("writable", True)
        return JSONResponse(status, status_code=200 if takes_messages else 503)

    return app
