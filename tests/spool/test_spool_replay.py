"""Replaying the spool (bot/spool/replay.py) through the real app: once per file across processes, in order
across a second outage, past a file that cannot be replayed; and an adapter that keeps nothing answers 503."""

import multiprocessing
import secrets
import uuid

import pytest
from fastapi.testclient import TestClient
from pydantic import Field
from sqlalchemy import select
from starlette.responses import JSONResponse

from bot import runtime as runtime_module
from bot.app import create_app
from bot.channels.base import ChannelAdapter, Exchange, ProviderForm, Route
from bot.conversation.inbound import InboundMessage
from bot.models import Message
from bot.spool import replay as replay_module
from bot.spool.files import Spool
from bot.spool.replay import replay
from bot.vault import Vault
from bot.vocabulary import Channel, Direction
from bot.web.providers import provider_routes
from tests.conftest import Phone
from tests.spool.outage import EVERY_LANGUAGE_BY_SMS, FRENCH, Database


@pytest.fixture
def spool_dir(tmp_path, reconfigure):
    """A spool of this test's own that the app's flusher leaves alone: the test replays it itself."""
    directory = tmp_path / "spool"
    reconfigure(SPOOL_DIR=str(directory), SPOOL_FLUSH_SECONDS="3600")
    return directory


@pytest.fixture
def down(spool_dir, client):
    """The app, its database gone: what it is sent waits in the spool."""
    database = Database(client.app.state.runtime.engine)
    database.down()
    return database


def stored_ids(runtime) -> list[str]:
    with runtime.database() as db:
        return list(
            db.scalars(select(Message.provider_id).where(Message.direction == Direction.IN).order_by(Message.id))
        )


def send_while_down(client, settings, people: int, each: int) -> list[str]:
    """`each` messages from each of `people` people, interleaved; their MessageSids in the order sent."""
    phones = [Phone(client, f"+2237000{4000 + n}", settings.twilio_auth_token) for n in range(people)]
    sids = []
    for turn in range(each):
        for phone in phones:
            sid = f"SM{uuid.uuid4().hex}"
            reply = phone.send(("Bonjour", "1", "1", "1", "2", "3")[turn % 6], sid=sid)
            assert reply in (FRENCH, EVERY_LANGUAGE_BY_SMS)
            sids.append(sid)
    return sids


def _replay_in_a_process(start, results) -> None:
    # A runtime of its own (get_runtime is per process). The parent's stays referenced: closing its
    # inherited SQLite connections here would checkpoint and delete the parent's WAL under it.
    start.wait()
    results.put(replay(runtime_module.get_runtime()).replayed)


def test_web_processes_replaying_at_once_replay_each_request_once_in_order(down, client, settings, runtime):
    sids = send_while_down(client, settings, people=3, each=10)
    down.up()
    context = multiprocessing.get_context("fork")
    start, results = context.Barrier(4), context.Queue()
    workers = [context.Process(target=_replay_in_a_process, args=(start, results)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    replayed = sorted(results.get(timeout=5) for _ in workers)
    assert sum(replayed) == 30 and replayed[:3] == [0, 0, 0]  # one process had the turn, the others waited none
    assert stored_ids(runtime) == sids


def test_a_second_outage_stops_the_replay_and_the_order_is_kept(down, client, settings, runtime, monkeypatch):
    sids = send_while_down(client, settings, people=1, each=5)
    down.up()
    real, calls = replay_module._replay_one, []

    def fails_on_the_third(*args):
        calls.append(1)
        if len(calls) == 3:
            down.down()
        return real(*args)

    monkeypatch.setattr(replay_module, "_replay_one", fails_on_the_third)
    app_runtime = client.app.state.runtime
    assert replay(app_runtime).replayed == 2
    assert app_runtime.spool.waiting() == 3 and app_runtime.spool.failed() == 0
    down.up()
    assert replay(app_runtime).replayed == 3
    assert stored_ids(runtime) == sids


def test_a_file_that_cannot_be_replayed_is_set_aside_and_the_rest_goes_on(down, client, settings, runtime):
    sids = send_while_down(client, settings, people=1, each=2)
    Spool(runtime.spool.directory, Vault(secrets.token_urlsafe(32))).keep({"written": "under another SECRET_KEY"})
    sids += send_while_down(client, settings, people=1, each=1)
    down.up()
    outcome = replay(client.app.state.runtime)
    assert (outcome.replayed, outcome.failed) == (3, 1)
    assert stored_ids(runtime) == sids
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json() == {"database": "up", "redis": "up", "spool": {"waiting": 0, "failed": 1, "writable": True}}


class QuietForm(ProviderForm):
    id: str = Field(min_length=1)
    sender: str = Field(alias="from", min_length=1)


class Quiet(ChannelAdapter):
    """An adapter that has not said how to answer while the database is down."""

    name = "quiet"

    def routes(self) -> tuple[Route, ...]:
        return (Route("/webhooks/quiet", QuietForm, self.receive),)

    def receive(self, form: QuietForm, exchange: Exchange) -> JSONResponse:
        handled = exchange.converse(InboundMessage(Channel.SMS, form.sender, "Bonjour", f"quiet:{form.id}"))
        return JSONResponse({"reply": handled.reply})


def test_an_adapter_that_keeps_nothing_says_the_database_is_unavailable(spool_dir, settings):
    app = create_app(settings)
    app.include_router(provider_routes((Quiet(),)))
    with TestClient(app) as client:
        Database(app.state.runtime.engine).down()
        response = client.post("/webhooks/quiet", data={"id": "1", "from": "+22370000040"})
    assert (response.status_code, response.text) == (503, "the database is unavailable")
    assert not spool_dir.exists() or not any(spool_dir.glob("*.req"))
