"""Where a conversation waits (bot.conversation.state): kept encrypted in the database, for a while."""

import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select

from bot.conversation.state import StateStore
from bot.db import write_transaction
from bot.models import ConversationState, utcnow
from bot.vault import Vault

KEY = "position:sms:1"


def keep(runtime, store: StateStore, state: dict | None) -> None:
    with write_transaction(runtime.database) as db:
        store.save(db, KEY, state)


def read(runtime, store: StateStore) -> dict | None:
    with runtime.database() as db:
        return store.load(db, KEY)


def test_a_state_kept_again_replaces_the_first_and_lives_on_from_then(runtime):
    store = StateStore(runtime.vault, ttl_seconds=60)
    keep(runtime, store, {"flow": "complaint", "state": "site"})
    with runtime.database() as db:
        first_expiry = db.scalar(select(ConversationState.expires_at))
    keep(runtime, store, {"flow": "complaint", "state": "describe", "at": datetime(2026, 12, 5, 9, 0)})

    assert read(runtime, store) == {"flow": "complaint", "state": "describe", "at": datetime(2026, 12, 5, 9, 0)}
    with runtime.database() as db:
        assert db.scalar(select(func.count()).select_from(ConversationState)) == 1
        row = db.scalars(select(ConversationState)).one()
    assert row.expires_at >= first_expiry and row.expires_at <= utcnow() + timedelta(seconds=60)
    assert "describe" not in row.state  # encrypted at rest


def test_none_forgets_a_state(runtime):
    store = StateStore(runtime.vault, ttl_seconds=60)
    keep(runtime, store, {"flow": "complaint"})
    keep(runtime, store, None)
    assert read(runtime, store) is None


def test_an_expired_state_reads_as_none(runtime):
    store = StateStore(runtime.vault, ttl_seconds=-1)
    keep(runtime, store, {"flow": "complaint"})
    assert read(runtime, store) is None


def test_a_state_written_under_another_secret_key_reads_as_none(runtime):
    keep(runtime, StateStore(Vault(secrets.token_urlsafe(32)), ttl_seconds=60), {"flow": "complaint"})
    assert read(runtime, StateStore(runtime.vault, ttl_seconds=60)) is None
