"""Shared fixtures: a real Redis, a real database (SQLite, or PostgreSQL via TEST_DATABASE_URL), the real app."""

import os
import secrets
import shutil
import tempfile
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from redis import Redis
from sqlalchemy import create_engine, make_url, text
from twilio.request_validator import RequestValidator

from bot import runtime as runtime_module
from bot.app import create_app
from bot.config import Settings, get_settings
from bot.db import make_engine, make_sessionmaker, transaction, upgrade
from bot.devserver import local_redis
from bot.models import Base, utcnow
from bot.seed import seed_places

TEST_URL = "http://testserver"
WEBHOOK = "/webhooks/twilio/messaging"
ISOLATED_VAR_DIR = pytest.StashKey[Path]()


def pytest_configure(config) -> None:
    """The suite reads none of the developer's files: not the secrets `make run` generated in `var/local.env`,
    not a `.env` at the root (issue 9: after `make run`, 29 tests failed on its SMS_PROVIDER=console).

    Set in the environment before any test, so every Settings of the session and every process it starts
    (RQ workers, the CLI, `make run`) inherits it; fixtures set their own settings on top.
    """
    config.stash[ISOLATED_VAR_DIR] = Path(tempfile.mkdtemp(prefix="baro-tests-"))
    os.environ["VAR_DIR"] = str(config.stash[ISOLATED_VAR_DIR])
    os.environ["ENV_FILE"] = ""  # no `.env` (see bot.config.env_files)


def pytest_unconfigure(config) -> None:
    if ISOLATED_VAR_DIR in config.stash:
        shutil.rmtree(config.stash[ISOLATED_VAR_DIR], ignore_errors=True)


@pytest.fixture(scope="session")
def test_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("baro")


@pytest.fixture(scope="session")
def redis_url(test_dir):
    """A private Redis on a socket, started the same way `make run` does; never the server on 6379."""
    if os.environ.get("TEST_REDIS_URL"):
        yield os.environ["TEST_REDIS_URL"]
        return
    with local_redis(test_dir, test_dir / "redis.sock", persist=False) as url:
        yield url


def _own_database(url: str) -> str:
    """Under pytest-xdist each worker gets its own PostgreSQL database beside the one given (`test` → `test_gw0`),
    made afresh, so parallel workers never share rows; SQLite files are per worker already."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker or not url.startswith("postgresql"):
        return url
    given = make_url(url)
    name = f"{given.database}_{worker}"
    engine = create_engine(given, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return given.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(test_dir):
    url = _own_database(os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{test_dir / 'test.sqlite3'}")
    engine = make_engine(url)
    with engine.begin() as connection:  # a clean slate on a shared PostgreSQL database
        Base.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def environment(test_dir, database_url, redis_url):
    """Settings for this process and for every worker it forks, through the environment like production."""
    values = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": secrets.token_urlsafe(32),
        "TWILIO_ACCOUNT_SID": "AC" + secrets.token_hex(16),
        "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
        "PUBLIC_URL": TEST_URL,
        "VAR_DIR": str(test_dir),
        # Tests run at any hour: bulk sends are not held by quiet hours unless a test sets them (tests/broadcasts).
        "BROADCAST_QUIET_HOURS": "",
    }
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    get_settings.cache_clear()
    yield values
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    get_settings.cache_clear()


@pytest.fixture
def settings(environment, clean_state) -> Settings:
    get_settings.cache_clear()  # never a previous test's settings
    return get_settings()


@pytest.fixture
def reconfigure(environment, monkeypatch):
    """Change settings through the environment, as production does, for this process and the workers
    it forks (`None` removes one). List it, and fixtures using it, before `settings` or `client`."""

    def apply(**env: str | None) -> None:
        for key, value in env.items():
            if value is None:
                monkeypatch.delenv(key, raising=False)
            else:
                monkeypatch.setenv(key, str(value))
        get_settings.cache_clear()
        runtime_module._by_process.clear()

    yield apply
    get_settings.cache_clear()
    runtime_module._by_process.clear()


@pytest.fixture
def runtime(settings):
    """The process runtime jobs use, fresh for each test."""
    runtime_module._by_process.clear()
    current = runtime_module.get_runtime()
    yield current
    current.close()
    runtime_module._by_process.clear()


@pytest.fixture(scope="session")
def admin_engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def clean_state(environment, admin_engine, redis_url):
    """A test that uses the services starts from the demo sites and assemblies, and an empty Redis."""
    with admin_engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    with transaction(make_sessionmaker(admin_engine)) as db:
        seed_places(db, utcnow())
    Redis.from_url(redis_url).flushdb()
    # Nothing a test left in the spool (a database error on its way) reaches the next test.
    shutil.rmtree(Path(environment["VAR_DIR"]) / "spool", ignore_errors=True)
    yield


@pytest.fixture
def app(settings):
    return create_app(settings)


@pytest.fixture
def client(app):
    with TestClient(app) as test_client:
        yield test_client


def sign(auth_token: str, url: str, params: dict) -> str:
    return RequestValidator(auth_token).compute_signature(url, params)


def twilio_form(sender: str, body: str | None, sid: str | None = None, **extra) -> dict:
    form = {
        "MessageSid": sid or f"SM{uuid.uuid4().hex}",
        "AccountSid": "AC" + "0" * 32,
        "From": sender,
        "To": "+22320000000",
        "NumMedia": "0",
        **extra,
    }
    if body is not None:
        form["Body"] = body
    return form


def replies(twiml: str) -> list[str]:
    return [message.text or "" for message in ET.fromstring(twiml).iter("Message")]


@dataclass
class Phone:
    """A person texting the line: each `send` is one signed Twilio webhook call."""

    client: TestClient
    number: str
    auth_token: str

    def post(self, form: dict, signature: str | None = None):
        return self.client.post(
            WEBHOOK,
            data=form,
            headers={"X-Twilio-Signature": signature or sign(self.auth_token, TEST_URL + WEBHOOK, form)},
        )

    def send(self, body: str, **extra) -> str:
        response = self.post(twilio_form(self.number, body, **extra))
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/xml")
        return "\n".join(replies(response.text))

    def converse(self, *bodies: str) -> str:
        """Send several messages; the last reply."""
        reply = ""
        for body in bodies:
            reply = self.send(body)
        return reply


@pytest.fixture
def phone(client, settings) -> Phone:
    return Phone(client, "+22370000001", settings.twilio_auth_token)


@pytest.fixture
def make_phone(client, settings):
    return lambda number: Phone(client, number, settings.twilio_auth_token)


@pytest.fixture
def twilio(environment, reconfigure):
    """The real Twilio SDK pointed at a local double of its API, for the web app and for workers.

    Sends are paced fast and retried at once, so tests see the whole pipeline in milliseconds.
    """
    from tests.twilio_double import TwilioDouble

    with TwilioDouble(environment["TWILIO_ACCOUNT_SID"], environment["TWILIO_AUTH_TOKEN"]) as double:
        reconfigure(
            TWILIO_API_URL=double.url,
            TWILIO_SMS_FROM="+22320000000",
            TWILIO_WHATSAPP_FROM="+22320000001",
            WHATSAPP_TEMPLATE_SID="HX" + "0" * 32,
            SMS_PER_SECOND=1000,
            WHATSAPP_PER_SECOND=1000,
            SEND_RETRY_SECONDS="[0]",
            USSD_TOKEN="ussd-secret",
        )
        yield double


def run_worker(redis) -> None:
    """A real RQ worker over every queue, in burst mode: it stops when they are empty.

    It runs jobs without forking, as the production pool does (workers/pool.py): a fork from this process,
    which holds threads (a live server, pytest-xdist's I/O), could inherit a lock held at that instant and
    wait on it forever.
    """
    from rq import Queue, SimpleWorker

    from bot.handover import QUEUES

    queues = [Queue(name, connection=redis) for name in QUEUES]
    SimpleWorker(queues, connection=redis).work(burst=True, with_scheduler=True)
