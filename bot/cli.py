"""The `baro` command."""

import logging
import sys
import time
import uuid
import xml.etree.ElementTree as ET

import httpx
import typer
from redis.exceptions import RedisError
from sqlalchemy.exc import IntegrityError
from twilio.request_validator import RequestValidator

from bot.config import get_settings
from bot.phones import normalize
from bot.vocabulary import Role

app = typer.Typer(help="baro: a feedback line for displaced people, by SMS, USSD and WhatsApp.", no_args_is_help=True)
db_app = typer.Typer(help="The database.", no_args_is_help=True)
flows_app = typer.Typer(help="The conversation flows.", no_args_is_help=True)
users_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(flows_app, name="flows")
app.add_typer(users_app, name="users")


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration."""
    from bot.db import upgrade

    upgrade(get_settings().database_url)
    typer.echo("database is up to date")


@app.command()
def seed() -> None:
    """Add the demo sites, assemblies and admin account if they are missing."""
    from bot.db import transaction
    from bot.runtime import get_runtime
    from bot.seed import ADMIN_EMAIL
    from bot.seed import seed as seed_db

    with transaction(get_runtime().database) as db:
        password = seed_db(db)
    if password:
        typer.echo(f"admin account: {ADMIN_EMAIL}  password: {password}  (shown this once; keep it)")


@flows_app.command("check")
def flows_check() -> None:
    """Validate every flow; exits non-zero naming the file and state of each problem."""
    from bot.runtime import Runtime, check_flows

    settings = get_settings()
    _, problems = check_flows(settings, Runtime(settings).catalogues)
    for problem in problems:
        typer.echo(problem, err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo(f"flows in {settings.flows_dir} are valid in {', '.join(settings.languages)}")


@flows_app.command("report")
def flows_report() -> None:
    """Print what every screen costs: characters, SMS encoding and parts, under both SMS alphabet settings."""
    from bot import channels
    from bot.actions import UNITS
    from bot.flows import check
    from bot.menus import MENUS
    from bot.runtime import Runtime
    from bot.screens import report, screens

    settings = get_settings()
    catalogues = Runtime(settings).catalogues
    flows, problems = check(settings.flows_dir, catalogues)
    if flows is None:  # documents that do not load have no screens to measure
        for problem in problems:
            typer.echo(problem, err=True)
        raise typer.Exit(1)
    for line in report(screens(flows, catalogues, UNITS, MENUS), channels.limits()):
        typer.echo(line)


@users_app.command("create")
def users_create(
    email: str = typer.Option(..., help="The staff member's email, used to log in."),
    role: str = typer.Option(..., help=" | ".join(Role)),
    site: list[str] = typer.Option([], help="Limit a triage account to a site (slug); repeat for several."),
    password: str = typer.Option("", help="Leave empty to generate one, shown once."),
) -> None:
    """Create a staff account."""
    import secrets

    from bot.accounts import create_user
    from bot.db import transaction
    from bot.runtime import get_runtime

    chosen = password or secrets.token_urlsafe(12)
    try:
        with transaction(get_runtime().database) as db:
            create_user(db, email, role, chosen, site)
    except (ValueError, IntegrityError) as error:
        typer.echo(f"not created: {error if isinstance(error, ValueError) else 'that email has an account'}", err=True)
        raise typer.Exit(1) from error
    typer.echo(
        f"created {role} account {email.strip().lower()}" + ("" if password else f"  password: {chosen}  (shown once)")
    )


@users_app.command("token")
def users_token(email: str = typer.Option(..., help="The account the token acts for.")) -> None:
    """Print a new API token for /api/v1 (it replaces the previous one)."""
    from sqlalchemy import func, select

    from bot.accounts import issue_api_token
    from bot.db import transaction
    from bot.models import StaffUser
    from bot.runtime import get_runtime

    with transaction(get_runtime().database) as db:
        user = db.scalar(select(StaffUser).where(func.lower(StaffUser.email) == email.strip().lower()))
        if user is None:
            typer.echo(f"no account for {email}", err=True)
            raise typer.Exit(1)
        token = issue_api_token(user)
    typer.echo(token)


@app.command()
def web() -> None:
    """Serve the web application."""
    import uvicorn

    from bot.app import create_app

    settings = get_settings()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, proxy_headers=True, log_level="info")


@app.command()
def worker(burst: bool = typer.Option(False, help="Stop when the queues are empty.")) -> None:
    """Run one RQ worker."""
    from rq import Queue, Worker

    from bot.handover import QUEUES
    from bot.runtime import get_runtime

    _logging()
    redis = get_runtime().redis
    # Queues are drained in their order: intake, then replies to people, then bulk sends. The
    # scheduler runs RQ's retries of transient send failures after their backoff.
    Worker([Queue(name, connection=redis) for name in QUEUES], connection=redis).work(burst=burst, with_scheduler=True)


@app.command()
def cron() -> None:
    """Enqueue the periodic jobs (workers/periodic.py); rides out Redis restarts."""
    from rq.cron import CronScheduler

    from bot.runtime import get_runtime
    from workers.periodic import PERIODIC

    _logging()
    runtime = get_runtime()
    while True:
        try:
            scheduler = CronScheduler(connection=runtime.redis)
            for periodic in PERIODIC:
                scheduler.register(periodic.job, periodic.queue, interval=periodic.every(runtime.settings))
            scheduler.start()  # returns when asked to stop
            return
        except RedisError as error:
            logging.getLogger("baro.cron").warning("Redis unavailable (%s); retrying in 5 s", error)
            time.sleep(5)


@app.command()
def run() -> None:
    """Prepare everything and run web, worker and scheduler (and a local Redis if REDIS_URL is unset)."""
    from contextlib import nullcontext

    from bot import devserver
    from bot.db import upgrade

    devserver.ensure_local_secrets()
    get_settings.cache_clear()
    settings = get_settings()
    upgrade(settings.database_url)
    seed()
    manage_redis = settings.redis_url == f"unix://{settings.local_redis_socket}"
    redis_context = (
        devserver.local_redis(settings.var_dir, settings.local_redis_socket)
        if manage_redis
        else nullcontext(settings.redis_url)
    )
    with redis_context as redis_url:
        typer.echo(
            "\nbaro is starting.\n"
            f"  health:  {settings.public_url}/healthz\n"
            f"  webhook: {settings.public_url}/webhooks/twilio/messaging\n"
            f"  try it:  .venv/bin/baro simulate --phone +22370000001\n"
            f"  redis:   {redis_url}{' (local, managed by baro run)' if manage_redis else ''}\n"
            "Ctrl-C stops everything.\n"
        )
        code = devserver.run_procfile(devserver.process_env(settings, redis_url))
    raise typer.Exit(code)


def _show_outbox(outbox, number: str) -> None:
    """Print, as they arrive, the messages staff and workers send this number (SMS_PROVIDER=console)."""
    import threading

    from bot.channels.console import read_outbox

    def follow() -> None:
        offset = outbox.stat().st_size if outbox.exists() else 0
        while True:
            messages, offset = read_outbox(outbox, offset)
            for message in messages:
                if message["to"] == number:
                    typer.echo(f"\nbaro ({message['channel']})> {message['text']}")
            time.sleep(0.5)

    threading.Thread(target=follow, daemon=True).start()


def _replies(twiml: str) -> list[str]:
    return [message.text or "" for message in ET.fromstring(twiml).iter("Message")]


@app.command()
def simulate(
    phone: str = typer.Option(..., help="The number to write from, e.g. +22370000001."),
    whatsapp: bool = typer.Option(False, help="Write as a WhatsApp user."),
) -> None:
    """Talk to baro from the terminal, through the real webhook, signature included."""
    settings = get_settings()
    settings.require_secrets()
    url = f"{settings.public_url}/webhooks/twilio/messaging"
    sender = f"whatsapp:{phone}" if whatsapp else phone
    validator = RequestValidator(settings.twilio_auth_token)
    typer.echo(f"Writing to {url} as {sender}. An empty line or Ctrl-D ends.")
    if settings.sms_provider == "console":
        _show_outbox(settings.outbox, normalize(phone, settings.default_region))
    interactive = sys.stdin.isatty()
    with httpx.Client(timeout=20) as client:
        while True:
            if interactive:
                typer.echo("you> ", nl=False)
            text = sys.stdin.readline().rstrip("\n")
            if not text:
                break
            params = {
                "MessageSid": f"SM{uuid.uuid4().hex}",
                "AccountSid": settings.twilio_account_sid or "AC" + "0" * 32,
                "From": sender,
                "To": "+22300000000",
                "Body": text,
                "NumMedia": "0",
            }
            response = client.post(
                url, data=params, headers={"X-Twilio-Signature": validator.compute_signature(url, params)}
            )
            if response.status_code != 200:
                typer.echo(f"[HTTP {response.status_code}] {response.text}", err=True)
                raise typer.Exit(1)
            for reply in _replies(response.text):
                typer.echo(f"baro> {reply}")
