"""Fixtures for the cases domain: the runtime's vault, an outbox, and one session per test."""

import pytest

from bot.cases.lifecycle import Outbox
from bot.db import transaction


@pytest.fixture
def vault(runtime):
    return runtime.vault


@pytest.fixture
def outbox(runtime) -> Outbox:
    """How the staff pages write texts to the person: the phone catalogues and the configured alphabets."""
    return Outbox(runtime.catalogues, runtime.settings)


@pytest.fixture
def db(runtime):
    """One transaction for the whole test, committed at its end, as one request of the staff pages."""
    with transaction(runtime.database) as session:
        yield session
