"""The FastAPI application."""

from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from bot.config import Settings, get_settings
from bot.runtime import Runtime
from bot.web import gateway, twilio, ussd


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
        runtime.conversations  # fail at start, not at the first message, if flows or secrets are broken
        yield
        runtime.close()

    app = FastAPI(title="baro", lifespan=lifespan)
    app.state.runtime = runtime
    for module in (twilio, ussd, gateway):
        app.include_router(module.router)

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        """Up when messages can be taken: the database is required, Redis only delays work."""
        status = await run_in_threadpool(_health, runtime)
        return JSONResponse(status, status_code=200 if status["database"] == "up" else 503)

    return app
