"""Staff log in with a password and stay in through a cookie that the server can end: logout, a password
reset or disabling the account ends every login; repeated failures lock the account for a while."""

import re

from sqlalchemy import select
from typer.testing import CliRunner

from bot.accounts import MAX_FAILED_LOGINS
from bot.cli import app as cli
from bot.models import StaffUser
from tests.admin_support import PASSWORD, csrf_of, log_in, make_staff

COOKIE = "baro_staff"


def test_pages_need_a_login(client):
    response = client.get("/admin/inbox", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/login?next=/admin/inbox"


def test_a_right_password_logs_in_and_logout_ends_it(client, runtime):
    make_staff(runtime, "awa@ong.ml", "triage")
    response = log_in(client, "Awa@ONG.ml")
    assert response.status_code == 303 and response.headers["location"] == "/admin"
    home = client.get("/admin", follow_redirects=False)
    assert home.headers["location"] == "/admin/inbox"
    page = client.get("/admin/login")
    out = client.post("/admin/logout", data={"csrf": csrf_of(page.text)}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get("/admin", follow_redirects=False).headers["location"].startswith("/admin/login")


def test_a_wrong_password_is_refused_in_french(client, runtime):
    make_staff(runtime, "awa@ong.ml", "triage")
    response = log_in(client, "awa@ong.ml", "wrong")
    assert response.status_code == 401
    assert "Mot de passe" in response.text or "mot de passe" in response.text


def test_a_form_without_its_csrf_token_is_refused(client, runtime):
    make_staff(runtime, "awa@ong.ml", "triage")
    client.get("/admin/login")
    response = client.post("/admin/login", data={"email": "awa@ong.ml", "password": PASSWORD, "csrf": "forged"})
    assert response.status_code == 403


def test_repeated_failures_lock_the_account(client, runtime):
    make_staff(runtime, "awa@ong.ml", "triage")
    for _ in range(MAX_FAILED_LOGINS):
        log_in(client, "awa@ong.ml", "wrong")
    assert log_in(client, "awa@ong.ml").status_code == 401  # even the right password, for a while
    with runtime.database() as db:
        assert db.scalar(select(StaffUser.locked_until)) is not None


def test_the_login_only_sends_staff_back_to_this_site(client, runtime):
    make_staff(runtime, "awa@ong.ml", "triage")
    page = client.get("/admin/login")
    response = client.post(
        "/admin/login",
        data={"email": "awa@ong.ml", "password": PASSWORD, "csrf": csrf_of(page.text), "next": "https://evil.example"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/admin"


def test_users_create_and_token_from_the_command_line(runtime):
    runner = CliRunner()
    created = runner.invoke(cli, ["users", "create", "--email", "fanta@ong.ml", "--role", "protection"])
    assert created.exit_code == 0 and "password: " in created.output
    again = runner.invoke(cli, ["users", "create", "--email", "fanta@ong.ml", "--role", "protection"])
    assert again.exit_code == 1
    bad_role = runner.invoke(cli, ["users", "create", "--email", "x@ong.ml", "--role", "boss"])
    assert bad_role.exit_code == 1 and "role must be one of" in bad_role.output
    token = runner.invoke(cli, ["users", "token", "--email", "fanta@ong.ml"])
    assert token.exit_code == 0 and token.output.startswith("baro_")


def test_a_copied_login_cookie_stops_working_after_logout(client, runtime):
    make_staff(runtime, "awa@ong.ml", "triage")
    log_in(client, "awa@ong.ml")
    copied = client.cookies[COOKIE]  # what someone could take from a shared computer
    page = client.get("/admin/inbox")
    assert page.status_code == 200
    client.post("/admin/logout", data={"csrf": csrf_of(page.text)}, follow_redirects=False)

    client.cookies.clear()
    client.cookies.set(COOKIE, copied)
    replayed = client.get("/admin/inbox", follow_redirects=False)
    assert replayed.status_code == 303 and replayed.headers["location"].startswith("/admin/login")


def test_disabling_an_account_ends_its_logins_and_its_api_token_until_enabled(client, runtime):
    runner = CliRunner()
    make_staff(runtime, "awa@ong.ml", "triage")
    log_in(client, "awa@ong.ml")
    token = runner.invoke(cli, ["users", "token", "--email", "awa@ong.ml"]).output.strip()
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/admin/inbox").status_code == 200

    disabled = runner.invoke(cli, ["users", "disable", "--email", "Awa@ong.ml"])
    assert disabled.exit_code == 0, disabled.output
    assert client.get("/admin/inbox", follow_redirects=False).headers["location"].startswith("/admin/login")
    assert client.get("/api/v1/feedback", headers=bearer).status_code == 401
    assert log_in(client, "awa@ong.ml").status_code == 401

    enabled = runner.invoke(cli, ["users", "enable", "--email", "awa@ong.ml"])
    assert enabled.exit_code == 0, enabled.output
    assert log_in(client, "awa@ong.ml").status_code == 303
    assert client.get("/admin/inbox").status_code == 200


def test_a_password_reset_ends_every_login_lifts_the_lock_and_only_the_new_password_works(client, runtime):
    runner = CliRunner()
    make_staff(runtime, "awa@ong.ml", "triage")
    log_in(client, "awa@ong.ml")
    page = client.get("/admin/inbox")
    assert page.status_code == 200

    reset = runner.invoke(cli, ["users", "reset-password", "--email", "awa@ong.ml"])
    assert reset.exit_code == 0, reset.output
    new_password = re.search(r"password: (\S+)", reset.output).group(1)
    assert client.get("/admin/inbox", follow_redirects=False).headers["location"].startswith("/admin/login")
    for _ in range(MAX_FAILED_LOGINS):
        assert log_in(client, "awa@ong.ml").status_code == 401  # the old password, until it locks

    chosen = "sinzin bɔrɔ jiri kɔnɔ"
    weak = runner.invoke(cli, ["users", "reset-password", "--email", "awa@ong.ml", "--password", "password1234"])
    assert weak.exit_code == 1 and "common" in weak.output
    again = runner.invoke(cli, ["users", "reset-password", "--email", "awa@ong.ml", "--password", chosen])
    assert again.exit_code == 0 and chosen not in again.output
    assert log_in(client, "awa@ong.ml", new_password).status_code == 401  # replaced in turn
    assert log_in(client, "awa@ong.ml", chosen).status_code == 303
    assert client.get("/admin/inbox").status_code == 200


def test_a_revoked_api_token_is_refused(client, runtime):
    runner = CliRunner()
    make_staff(runtime, "awa@ong.ml", "triage")
    token = runner.invoke(cli, ["users", "token", "--email", "awa@ong.ml"]).output.strip()
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/feedback", headers=bearer).status_code == 200

    revoked = runner.invoke(cli, ["users", "revoke-token", "--email", "awa@ong.ml"])
    assert revoked.exit_code == 0, revoked.output
    assert client.get("/api/v1/feedback", headers=bearer).status_code == 401
    assert log_in(client, "awa@ong.ml").status_code == 303  # the account itself still works


def test_the_account_commands_name_an_unknown_email(runtime):
    runner = CliRunner()
    for command in ("disable", "enable", "reset-password", "revoke-token"):
        result = runner.invoke(cli, ["users", command, "--email", "nobody@ong.ml"])
        assert result.exit_code == 1 and "no account for nobody@ong.ml" in result.output, command
