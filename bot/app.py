"""The FastAPI application."""

import hashlib
from contextlib import asynccontextmanager
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.middleware.sessions import SessionMiddleware

from bot.admin import TEMPLATES, cases, dashboard, home, inbox, login
from bot.api import v1
from bot.channels import ADAPTERS
from bot.config import Settings, get_settings
from bot.runtime import Runtime
from bot.web.pages import Interface
from bot.web.providers import provider_routes
from bot.web.security import DeskOnly, LoginRequired


def _health(runtime: Runtime) -> dict[str, str]:
    status = {}
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
    return status


def create_app(settings: Settings | None = None) -> FastAPI:
    runtime = Runtime(settings or get_settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        _ = runtime.conversations  # fail at start, not at the first message, if flows or secrets are broken
        yield
        runtime.close()

    settings = runtime.settings
    app = FastAPI(title="baro", lifespan=lifespan)
    app.state.runtime = runtime
    app.state.interface = interface = Interface(TEMPLATES, settings.locales_dir)
    # Staff sessions: a signed cookie, its key derived from SECRET_KEY so it differs from the data keys.
    app.add_middleware(
        SessionMiddleware,
        secret_key=hashlib.sha256(b"baro staff session:" + settings.secret_key.encode()).hexdigest(),
        session_cookie="baro_staff",
        max_age=12 * 3600,
        same_site="strict",
        https_only=settings.public_url.startswith("https://"),
    )
    app.include_router(provider_routes(ADAPTERS))
    for module in (login, home, inbox, cases, dashboard, v1):
        app.include_router(module.router)

    @app.exception_handler(DeskOnly)
    async def desk_only(request: Request, _error: DeskOnly) -> Response:
        return interface.render(request, "desk_forbidden.html", status_code=403)

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, _error: LoginRequired) -> RedirectResponse:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/admin/login?next={quote(target)}", status_code=303)

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        """Up when messages can be taken: the database is required, Redis only delays work."""
        status = await run_in_threadpool(_health, runtime)
        return JSONResponse(status, status_code=200 if status["database"] == "up" else 503)

    return app
