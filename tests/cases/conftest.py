"""Fixtures for the cases domain: the runtime's vault, a desk, and one session per test."""

import pytest

from bot.cases.lifecycle import Desk
from bot.db import transaction


@pytest.fixture
def vault(runtime):
    return runtime.vault


@pytest.fixture
def desk(runtime) -> Desk:
    """What the staff pages act with: the phone catalogues, the configured alphabets, the vault."""
    return Desk(runtime.catalogues, runtime.settings, runtime.vault)


@pytest.fixture
def db(runtime):
    """One transaction for the whole test, committed at its end, as one request of the staff pages."""
    with transaction(runtime.database) as session:
        yield session
