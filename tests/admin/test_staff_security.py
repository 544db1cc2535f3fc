"""What the staff side sends back with every answer (/admin and /api): a policy that runs no script and lets no
other site frame the page, nothing kept in caches; a login cookie that scripts cannot read; staff forms read
only within a size limit."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.accounts import issue_api_token
from bot.db import transaction
from bot.models import StaffUser
from tests.admin_support import csrf_of, log_in, make_staff, submit_complaint

COOKIE = "baro_staff"


def csp(response) -> dict[str, str]:
    policy = response.headers["content-security-policy"]
    return {name: value.strip() for name, _, value in (d.strip().partition(" ") for d in policy.split(";") if d)}


def assert_guarded(response) -> None:
    policy = csp(response)
    scripts = policy.get("script-src", policy["default-src"])
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts and "*" not in scripts
    assert policy["frame-ancestors"] == "'none'"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] in ("same-origin", "no-referrer")
    assert response.headers["cache-control"] == "no-store"


def test_every_staff_answer_is_guarded(client, runtime, phone):
    submit_complaint(phone)
    staff_id = make_staff(runtime, "awa@ong.ml", "admin")
    with transaction(runtime.database) as db:
        bearer = {"Authorization": f"Bearer {issue_api_token(db.get(StaffUser, staff_id))}"}
    answers = {
        "redirect to the login page": client.get("/admin/inbox", follow_redirects=False),
        "login page": client.get("/admin/login"),
        "refused login": log_in(client, "awa@ong.ml", "not the password"),
        "form without its CSRF token": client.post("/admin/logout", data={"csrf": "forged"}),
        "language switch": client.get("/admin/language?to=en", follow_redirects=False),
        "login": log_in(client, "awa@ong.ml"),
        "inbox": client.get("/admin/inbox"),
        "dashboard": client.get("/admin/dashboard"),
        "missing case": client.get("/admin/cases/NOPE42"),
        "CSV export": client.get("/admin/export.csv"),
        "API without a token": client.get("/api/v1/feedback"),
        "API": client.get("/api/v1/feedback", headers=bearer),
        "API, bad filter": client.get("/api/v1/feedback?limit=0", headers=bearer),
    }
    assert answers["inbox"].status_code == 200 and answers["CSV export"].status_code == 200
    assert answers["API"].status_code == 200
    for name, response in answers.items():
        try:
            assert_guarded(response)
        except (AssertionError, KeyError) as problem:
            raise AssertionError(f"{name} ({response.status_code}): {problem!r}") from problem


def test_the_login_cookie_is_httponly_and_lax_so_links_from_mail_keep_working(client, runtime):
    make_staff(runtime, "awa@ong.ml", "triage")
    cookie = log_in(client, "awa@ong.ml").headers["set-cookie"].lower()
    assert cookie.startswith(f"{COOKIE}=") and "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # PUBLIC_URL is http here: a Secure cookie would never come back


@pytest.fixture
def https_public_url(reconfigure):
    reconfigure(PUBLIC_URL="https://baro.example.org")


def test_the_login_cookie_is_secure_when_the_public_url_is_https(https_public_url, app, runtime):
    make_staff(runtime, "awa@ong.ml", "triage")
    with TestClient(app, base_url="https://baro.example.org") as client:
        cookie = log_in(client, "awa@ong.ml").headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie


def _failed_logins(runtime) -> int:
    with runtime.database() as db:
        return db.scalar(select(StaffUser.failed_logins).where(StaffUser.email == "awa@ong.ml"))


def test_a_staff_form_past_the_limit_is_refused_without_being_read(client, runtime, settings):
    make_staff(runtime, "awa@ong.ml", "triage")
    csrf = csrf_of(client.get("/admin/login").text)
    form = {"email": "awa@ong.ml", "password": "wrong", "csrf": csrf, "padding": "x" * settings.staff_max_body_bytes}

    response = client.post("/admin/login", data=form)

    assert response.status_code == 413
    assert_guarded(response)
    assert _failed_logins(runtime) == 0  # the login never ran: the form was not parsed


def test_a_streamed_staff_form_is_cut_at_the_limit_too(client, runtime, settings):
    make_staff(runtime, "awa@ong.ml", "triage")
    csrf = csrf_of(client.get("/admin/login").text)

    def chunks():  # no Content-Length: the size is only known while reading
        yield f"email=awa%40ong.ml&password=wrong&csrf={csrf}&padding=".encode()
        for _ in range(2 * settings.staff_max_body_bytes // 4096):
            yield b"x" * 4096

    response = client.post(
        "/admin/login", content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"}
    )

    assert response.status_code == 413
    assert _failed_logins(runtime) == 0


def test_a_form_within_the_limit_still_works(client, runtime, settings):
    make_staff(runtime, "awa@ong.ml", "triage")
    csrf = csrf_of(client.get("/admin/login").text)
    padding = "x" * (settings.staff_max_body_bytes // 2)
    form = {"email": "awa@ong.ml", "password": "wrong", "csrf": csrf, "padding": padding}
    assert client.post("/admin/login", data=form).status_code == 401
    assert _failed_logins(runtime) == 1
