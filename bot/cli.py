"""The `baro` command."""

import logging
import os
import sys
import time
import uuid
import xml.etree.ElementTree as ET
from contextlib import suppress

import httpx
import typer
from redis.exceptions import RedisError
from sqlalchemy.exc import IntegrityError
from twilio.request_validator import RequestValidator

from bot import logs
from bot.config import get_settings
from bot.phones import normalize
from bot.vocabulary import Role

app = typer.Typer(help="baro: a feedback line for displaced people, by SMS, USSD and WhatsApp.", no_args_is_help=True)
db_app = typer.Typer(help="The database.", no_args_is_help=True)
flows_app = typer.Typer(help="The conversation flows.", no_args_is_help=True)
users_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
voice_app = typer.Typer(help="The voice line.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(flows_app, name="flows")
app.add_typer(users_app, name="users")
app.add_typer(voice_app, name="voice")


@app.callback()
def _private_files() -> None:
    """Every file a baro process writes (database, logs, outbox, spool) is the service user's alone."""
    os.umask(0o077)
    var_dir = get_settings().var_dir
    if var_dir.is_dir() and var_dir.stat().st_uid == os.getuid():
        var_dir.chmod(0o700)  # made before this rule, or by hand
    logs.configure(get_settings())  # and every command logs alike: masked; one JSON object a line if LOG_FORMAT=json


def _metrics_files(role: str) -> None:
    """This process and its children keep their metrics in files under METRICS_DIR/`role`, emptied now (bot/metrics.py).

    prometheus_client reads PROMETHEUS_MULTIPROC_DIR once, when first imported: so before anything imports it.
    """
    if "prometheus_client" in sys.modules:
        raise RuntimeError("prometheus_client was imported before its multi-process folder was set")
    folder = get_settings().metrics_dir / role
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):  # the files only: a process still running elsewhere keeps its folder
        stale.unlink(missing_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)


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
    from bot.runtime import Runtime, check_costs, check_flows

    settings = get_settings()
    catalogues = Runtime(settings).catalogues
    flows, problems = check_flows(settings, catalogues)
    if flows is not None and not problems:  # what whole conversations and single texts cost (bot.journeys)
        problems += check_costs(settings, catalogues, flows)
    for problem in problems:
        typer.echo(problem, err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo(f"flows in {settings.flows_dir} are valid in {', '.join(settings.languages)}")
    for line in _recordings(settings, catalogues, flows).coverage():  # information: French falls back to <Say>
        typer.echo(line)


def _recordings(settings, catalogues, flows):
    from bot.voice_prompts import Recordings

    return Recordings.configured(settings, catalogues, flows)


@voice_app.command("prompts")
def voice_prompts(
    missing: bool = typer.Option(False, "--missing", help="Only the prompts not recorded yet."),
    language: list[str] = typer.Option([], "--language", help="Only this language; repeat for several."),
) -> None:
    """List every voice prompt per language: its file name, whether it is recorded, and the words to say."""
    from bot.runtime import Runtime

    settings = get_settings()
    runtime = Runtime(settings)
    recordings = _recordings(settings, runtime.catalogues, runtime.flows)
    typer.echo(f"Record each prompt as {settings.voice_prompts_dir}/<language>/<file>.mp3 (or .wav, .ogg).")
    for lang in language or settings.languages:
        files = recordings.files(lang)
        for prompt in recordings.prompts(lang):
            recorded = prompt.key in files
            if missing and (recorded or prompt.optional):
                continue
            status = "recorded" if recorded else ("optional" if prompt.optional else "MISSING")
            typer.echo(f"{lang}\t{prompt.key}\t{status}\t{prompt.text}")
    for line in recordings.coverage():
        typer.echo(line, err=True)


@voice_app.command("import")
def voice_import(
    folder: str = typer.Argument(..., help="Recordings named by key (`baro voice prompts`), or a folder per language."),
    language: str = typer.Option("", "--language", help="The language of the recordings in FOLDER."),
) -> None:
    """Check, convert and store a folder of prompt recordings; say what was imported, refused and still missing."""
    from pathlib import Path

    from bot.runtime import Runtime
    from bot.voice_uploads import MAX_BYTES, Refused, store

    settings = get_settings()
    runtime = Runtime(settings)
    source = Path(folder)
    batches = [(language, source)] if language else [(lang, source / lang) for lang in settings.languages]
    batches = [(lang, directory) for lang, directory in batches if directory.is_dir()]
    if not batches or any(lang not in settings.languages for lang, _ in batches):
        typer.echo(
            f"Name a language of the line with --language ({', '.join(settings.languages)}), or put the "
            "recordings in one folder per language.",
            err=True,
        )
        raise typer.Exit(2)
    refused = 0
    for lang, directory in batches:
        keys = {prompt.key for prompt in _recordings(settings, runtime.catalogues, runtime.flows).prompts(lang)}
        for path in sorted(p for p in directory.iterdir() if p.is_file() and not p.name.startswith(".")):
            try:
                if path.stem not in keys:
                    raise Refused(f"{path.stem} is no voice prompt of {lang} (see `baro voice prompts`)")
                if path.stat().st_size > MAX_BYTES:
                    raise Refused(f"larger than {MAX_BYTES // (1024 * 1024)} MB")
                stored = store(path.read_bytes(), settings.voice_prompts_dir, lang, path.stem)
                typer.echo(f"imported\t{lang}\t{path.name}\t{stored}")
            except Refused as reason:
                refused += 1
                typer.echo(f"refused\t{lang}\t{path.name}\t{reason}")
    recordings = _recordings(settings, runtime.catalogues, runtime.flows)
    for lang, _ in batches:
        for prompt in recordings.missing(lang):
            typer.echo(f"missing\t{lang}\t{prompt.key}\t{prompt.text}")
    for line in recordings.coverage():
        typer.echo(line, err=True)
    if refused:
        raise typer.Exit(1)


@flows_app.command("report")
def flows_report(
    turns: bool = typer.Option(False, "--turns", help="Also show each whole conversation reply by reply."),
) -> None:
    """Print what every screen, whole conversation and single text costs by SMS, under each alphabet setting."""
    from bot import channels, journeys
    from bot.actions import UNITS
    from bot.channels.sms import SMS_PARTS
    from bot.flows import check
    from bot.menus import MENUS
    from bot.runtime import Runtime, cost_samples
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
    data = cost_samples(settings, catalogues, flows)
    budgets, alphabet = settings.conversation_budgets, settings.sms_alphabet
    for line in journeys.report(data, budgets, alphabet, SMS_PARTS.parts, turns):
        typer.echo(line)


@users_app.command("create")
def users_create(
    email: str = typer.Option(..., help="The staff member's email, used to log in."),
    role: str = typer.Option(..., help=" | ".join(Role)),
    site: list[str] = typer.Option([], help="Limit a triage account to a site (slug); repeat for several."),
    password: str = typer.Option("", help="Leave empty to generate one, shown once."),
) -> None:
    """Create a staff account (a password of at least 12 characters, not a common one)."""
    from bot.accounts import create_user, generate_password
    from bot.db import transaction
    from bot.runtime import get_runtime

    chosen = password or generate_password()
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


def _change_account(email: str, change) -> None:
    """Apply `change(db, user)` to the account of `email`, in one transaction; exit 1 if there is none."""
    from bot.accounts import find_user
    from bot.db import transaction
    from bot.runtime import get_runtime

    with transaction(get_runtime().database) as db:
        user = find_user(db, email)
        if user is None:
            typer.echo(f"no account for {email.strip().lower()}", err=True)
            raise typer.Exit(1)
        change(db, user)


@users_app.command("disable")
def users_disable(email: str = typer.Option(..., help="The account to disable.")) -> None:
    """Disable an account: its logins end at once, its password and API token stop working."""
    from bot.accounts import disable

    _change_account(email, disable)
    typer.echo(f"disabled {email.strip().lower()}")


@users_app.command("enable")
def users_enable(email: str = typer.Option(..., help="The account to enable.")) -> None:
    """Enable an account again, and lift a lock left by wrong passwords."""
    from bot.accounts import enable

    _change_account(email, enable)
    typer.echo(f"enabled {email.strip().lower()}")


@users_app.command("reset-password")
def users_reset_password(
    email: str = typer.Option(..., help="The account whose password is replaced."),
    password: str = typer.Option("", help="Leave empty to generate one, shown once."),
) -> None:
    """Replace an account's password: every login of the account ends, and a lock is lifted."""
    from bot.accounts import generate_password, reset_password

    chosen = password or generate_password()
    try:
        _change_account(email, lambda db, user: reset_password(db, user, chosen))
    except ValueError as refused:
        typer.echo(f"not changed: {refused}", err=True)
        raise typer.Exit(1) from refused
    shown = "" if password else f"  password: {chosen}  (shown once)"
    typer.echo(f"new password for {email.strip().lower()}{shown}")


@users_app.command("revoke-token")
def users_revoke_token(email: str = typer.Option(..., help="The account whose API token stops working.")) -> None:
    """Revoke an account's API token (`baro users token` issues a new one)."""
    from bot.accounts import revoke_api_token

    _change_account(email, lambda db, user: revoke_api_token(user))
    typer.echo(f"API token of {email.strip().lower()} revoked")


@app.command()
def web(
    workers: int = typer.Option(
        1, envvar="WEB_CONCURRENCY", min=1, help="uvicorn worker processes; one that dies is started again."
    ),
) -> None:
    """Serve the web application: gunicorn with uvicorn workers (bot/webserver.py)."""
    _metrics_files("web")
    from bot import webserver
    from bot.app import create_app

    webserver.serve(get_settings(), workers, create_app)


@app.command()
def worker(
    burst: bool = typer.Option(False, help="Stop when the queues are empty."),
    processes: int = typer.Option(
        1, envvar="WORKER_PROCESSES", min=1, help="RQ workers in the pool; one that dies is started again."
    ),
) -> None:
    """Run RQ's worker pool over baro's queues (workers/pool.py)."""
    _metrics_files("worker")
    from bot.runtime import get_runtime
    from workers import pool

    pool.run(get_runtime().redis, processes, burst=burst, logging_level=get_settings().log_level)


@app.command()
def cron() -> None:
    """Enqueue the periodic jobs (workers/periodic.py); rides out Redis restarts, stops at once on SIGTERM."""
    import signal

    from rq.cron import CronScheduler
    from rq.exceptions import SchedulerNotFound, StopRequested

    from bot.runtime import get_runtime
    from workers.periodic import PERIODIC

    runtime = get_runtime()
    stop_requested = False

    def request_stop(signum, frame) -> None:
        # Remembered, then raised to cut short whatever is waiting (a sleep, a Redis call). RQ's own handler
        # only raised: the scheduler's shutdown then failed on the Redis that was gone, the RedisError below
        # took the stop for an outage, and the process retried forever, deaf to SIGTERM.
        nonlocal stop_requested
        stop_requested = True
        raise StopRequested

    class Scheduler(CronScheduler):
        def _install_signal_handlers(self) -> None:
            signal.signal(signal.SIGINT, request_stop)
            signal.signal(signal.SIGTERM, request_stop)

        def register_death(self, pipeline=None) -> None:
            # On the way out, whatever Redis says: gone, or restarted without our entry (it expires anyway).
            with suppress(RedisError, SchedulerNotFound):
                super().register_death(pipeline)

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    with suppress(StopRequested):
        while not stop_requested:
            try:
                scheduler = Scheduler(connection=runtime.redis)
                for periodic in PERIODIC:
                    scheduler.register(periodic.job, periodic.queue, interval=periodic.every(runtime.settings))
                scheduler.start()  # returns when asked to stop
            except RedisError as error:
                if not stop_requested:
                    logging.getLogger("baro.cron").warning("Redis unavailable (%s); retrying in 5 s", error)
                    time.sleep(5)
    logging.getLogger("baro.cron").info("stopped")


@app.command()
def run() -> None:
    """Prepare everything, then run the Procfile (web, worker, cron) and, if REDIS_URL is unset, a private Redis,
    under supervisord: a process that dies is started again; Ctrl-C or SIGTERM stops them all."""
    from bot import devserver
    from bot.db import upgrade

    devserver.ensure_local_secrets()
    get_settings.cache_clear()
    settings = get_settings()
    upgrade(settings.database_url)
    seed()
    manage_redis = settings.redis_url == f"unix://{settings.local_redis_socket}"
    typer.echo(
        "\nbaro is starting.\n"
        f"  health:  {settings.public_url}/healthz\n"
        f"  webhook: {settings.public_url}/webhooks/twilio/messaging\n"
        f"  try it:  .venv/bin/baro simulate --phone +22370000001\n"
        f"  by voice: .venv/bin/baro simulate --voice --phone +22370000001\n"
        f"  redis:   {settings.redis_url}{' (private, started by baro run)' if manage_redis else ''}\n"
        f"  status:  .venv/bin/supervisorctl -c {settings.var_dir / 'supervisord.conf'} status\n"
        "Ctrl-C stops everything.\n"
    )
    raise typer.Exit(devserver.run_supervisord(settings))


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


def _simulate_call(settings, phone: str) -> None:
    """A call to the voice line, keys typed in the terminal (bot.voice_console)."""
    from bot.runtime import Runtime
    from bot.voice_console import VoiceConsole

    runtime = Runtime(settings)
    recordings = _recordings(settings, runtime.catalogues, runtime.flows)

    def ask(prompt: str) -> str | None:
        if sys.stdin.isatty():
            typer.echo(prompt, nl=False)
        return sys.stdin.readline().rstrip("\n") or None

    with httpx.Client(timeout=20) as client:
        try:
            VoiceConsole(client, settings, recordings, phone, ask, typer.echo).run()
        except RuntimeError as error:
            typer.echo(str(error), err=True)
            raise typer.Exit(1) from None


@app.command()
def simulate(
    phone: str = typer.Option(..., help="The number to write from, e.g. +22370000001."),
    whatsapp: bool = typer.Option(False, help="Write as a WhatsApp user."),
    voice: bool = typer.Option(False, help="Call the voice line instead: type keys; words are shown, not sent."),
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
    if voice:
        return _simulate_call(settings, phone)
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
