"""Someone guessing staff passwords over HTTP: parallel guesses cannot get past the lockout, and a refusal costs
the same whatever its reason, so the time of an answer does not tell which emails have an account."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import uvicorn
from argon2 import PasswordHasher
from sqlalchemy import select, update

from bot.accounts import MAX_FAILED_LOGINS
from bot.db import transaction
from bot.models import StaffUser
from tests.admin_support import csrf_of, log_in, make_staff

GUESSES = 30


@pytest.fixture
def live_server(app):
    """The real app under uvicorn, in a thread: requests really run in parallel, as an attacker's would."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def verifications(monkeypatch):
    """Every argon2 verification the server does, by the hash it was checked against."""
    checked: list[str] = []
    original = PasswordHasher.verify

    def counted(self, password_hash, password):
        checked.append(password_hash)
        return original(self, password_hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counted)
    return checked


def _hash_of(runtime, email: str) -> str:
    with runtime.database() as db:
        return db.scalar(select(StaffUser.password_hash).where(StaffUser.email == email))


def test_parallel_wrong_guesses_are_checked_at_most_the_limit_before_the_lock(live_server, runtime, verifications):
    make_staff(runtime, "awa@ong.ml", "triage")
    ready = threading.Barrier(GUESSES)

    def guess(number: int) -> int:
        with httpx.Client(base_url=live_server, timeout=60) as browser:
            csrf = csrf_of(browser.get("/admin/login").text)
            ready.wait()  # every guess leaves at once
            form = {"email": "awa@ong.ml", "password": f"wrong guess {number}", "csrf": csrf, "next": "/admin"}
            return browser.post("/admin/login", data=form).status_code

    with ThreadPoolExecutor(GUESSES) as pool:
        answers = list(pool.map(guess, range(GUESSES)))

    assert answers == [401] * GUESSES
    assert verifications.count(_hash_of(runtime, "awa@ong.ml")) <= MAX_FAILED_LOGINS
    with httpx.Client(base_url=live_server) as browser:
        assert log_in(browser, "awa@ong.ml").status_code == 401  # locked, even with the right password


def _cost(client, email: str, tries: int) -> float:
    """The fastest of a few refused logins, in seconds: what an attacker timing answers would measure (the
    fastest, because a busy machine only ever adds time)."""
    fastest = float("inf")
    for _ in range(tries):
        csrf = csrf_of(client.get("/admin/login").text)
        form = {"email": email, "password": "not the password", "csrf": csrf, "next": "/admin"}
        started = time.perf_counter()
        assert client.post("/admin/login", data=form).status_code == 401
        fastest = min(fastest, time.perf_counter() - started)
    return fastest


def test_a_refusal_costs_the_same_whatever_its_reason(client, runtime, verifications):
    wrong = [f"wrong{number}@ong.ml" for number in range(3)]
    for email in (*wrong, "locked@ong.ml", "disabled@ong.ml"):
        make_staff(runtime, email, "triage")
    for _ in range(MAX_FAILED_LOGINS):
        log_in(client, "locked@ong.ml", "not the password")
    with transaction(runtime.database) as db:
        db.execute(update(StaffUser).where(StaffUser.email == "disabled@ong.ml").values(active=False))

    wrong_password = min(_cost(client, email, tries=MAX_FAILED_LOGINS - 2) for email in wrong)  # none locked
    for email in ("unknown@ong.ml", "locked@ong.ml", "disabled@ong.ml"):
        verifications.clear()
        # Before, a locked or disabled account answered in under 5 ms against about 375 ms for a wrong password.
        assert _cost(client, email, tries=5) > wrong_password / 3, email
        assert len(verifications) == 5, email  # one argon2 verification per refusal, as for a wrong password
