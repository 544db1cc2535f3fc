"""Staff log in with a password, stay in through a signed cookie, and are locked out after repeated failures."""

from sqlalchemy import select
from typer.testing import CliRunner

from bot.accounts import MAX_FAILED_LOGINS
from bot.cli import app as cli
from bot.models import StaffUser
from tests.admin_support import PASSWORD, csrf_of, log_in, make_staff


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
