"""Staff passwords nobody guesses: at least 12 characters and not a common one, wherever an account gets one
(`create_user`, `baro users create`, `baro users reset-password`)."""

import re

import pytest
from typer.testing import CliRunner

from bot.accounts import MIN_PASSWORD_LENGTH, Lockout, create_user, lockout, password_problem, start_login
from bot.cli import app as cli
from bot.db import transaction
from bot.models import utcnow
from tests.admin_support import PASSWORD

WEAK = [
    "a",  # the one-letter password the attack got through with
    "Xq7#pL9!vR2",  # strong-looking, but 11 characters
    "password1234",
    "azertyuiop123",  # a French keyboard's row
    "motdepasse123",
    "123456789012",
    "aaaaaaaaaaaaaaaa",
    "trustno1trustno1",
    "Password123!",
]


@pytest.mark.parametrize("password", WEAK)
def test_a_short_or_common_password_is_refused_with_the_reason(password, runtime):
    with pytest.raises(ValueError) as refused, transaction(runtime.database) as db:
        create_user(db, "awa@ong.ml", "triage", password)
    assert "password" in str(refused.value)


def test_the_email_itself_is_not_a_password(runtime):
    assert password_problem("awa@ong.ml2024", email="awa@ong.ml") is not None
    assert password_problem("awa@ong.ml2024") is None  # the same characters are fine for somebody else


@pytest.mark.parametrize("password", [PASSWORD, "Kq3_xP9-zT2w", "sinzin bɔrɔ jiri kɔnɔ"])
def test_a_long_uncommon_password_is_accepted(password):
    assert len(password) >= MIN_PASSWORD_LENGTH
    assert password_problem(password, email="awa@ong.ml") is None


def test_users_create_refuses_a_weak_password_and_generates_a_strong_one(runtime):
    runner = CliRunner()
    weak = runner.invoke(cli, ["users", "create", "--email", "awa@ong.ml", "--role", "triage", "--password", "a"])
    assert weak.exit_code == 1 and "12" in weak.output
    generated = runner.invoke(cli, ["users", "create", "--email", "awa@ong.ml", "--role", "triage"])
    assert generated.exit_code == 0, generated.output
    password = re.search(r"password: (\S+)", generated.output).group(1)
    assert password_problem(password, email="awa@ong.ml") is None


def test_a_login_records_when_it_happened(runtime):
    with transaction(runtime.database) as db:
        account = create_user(db, "awa@ong.ml", "triage", PASSWORD)
        assert account.last_login_at is None
        before = utcnow()
        start_login(db, account.id)
        db.refresh(account)
        assert before <= account.last_login_at <= utcnow()


def test_the_last_active_admin_is_never_disabled_nor_demoted(runtime):
    with transaction(runtime.database) as db:
        admin = create_user(db, "admin@ong.ml", "admin", PASSWORD)
        retired = create_user(db, "old@ong.ml", "admin", PASSWORD)
        retired.active = False
        db.flush()
        # Nobody else administers baro: not by the operator at the command line, nor by the admin themselves.
        assert lockout(db, None, admin, active=False) is Lockout.LAST_ADMIN
        assert lockout(db, None, admin, role="triage") is Lockout.LAST_ADMIN
        assert lockout(db, admin, admin, active=False) is Lockout.SELF
        assert lockout(db, None, admin, role="admin") is None  # no change of role
        assert lockout(db, None, retired, role="triage") is None  # already out of the way

        other = create_user(db, "awa@ong.ml", "admin", PASSWORD)
        assert lockout(db, other, admin, active=False) is None  # `other` remains
