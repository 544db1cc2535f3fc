"""Fixtures for the assembly specifications: an organizer, people on their phones, and what baro stored for them.

People write through the real webhook (tests/conftest.py's `make_phone`), so their contact, language and
channel are what the conversation made of them. Texts baro sends on its own are read from the `message`
table (what the outbound pipeline will send), and from the Twilio double where the pipeline ran.
"""

import pytest

from bot.cases.lifecycle import Desk
from bot.db import transaction
from bot.models import StaffUser
from bot.vocabulary import Role
from tests.assemblies.support import ONBOARD, Organizing


@pytest.fixture
def organizer(runtime) -> int:
    with transaction(runtime.database) as db:
        user = StaffUser(email="organisatrice@ong.ml", role=Role.ORGANIZER, password_hash="not used")
        db.add(user)
        db.flush()
        return user.id


@pytest.fixture
def desk(runtime) -> Desk:
    return Desk(runtime.catalogues, runtime.settings, runtime.vault)


@pytest.fixture
def person(make_phone):
    """`person(number, lang)`: someone who chose their language and accepted, looking at the main menu."""

    def make(number: str, lang: str = "fr"):
        phone = make_phone(number)
        phone.converse(*ONBOARD[lang])
        return phone

    return make


@pytest.fixture
def organizing(runtime, desk, organizer) -> Organizing:
    return Organizing(runtime, desk, organizer)
