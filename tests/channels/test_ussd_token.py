"""The USSD token: never in the access log, and two of them accepted while it is changed.

The aggregator calls /webhooks/ussd?token=USSD_TOKEN (there is no request signing), and the web
server wrote that URL, token and all, to its access log on every request: anyone who reads the
logs could drive the line as anyone. The access lines are now written with `token=[redacted]`,
checked here on the lines the real servers write. To change the token without refusing a call,
USSD_TOKEN takes the new and the old one, comma-separated, until the aggregator has the new one.
"""

import os
import subprocess
import sys
import textwrap

import httpx
import pytest

from bot.config import ROOT
from bot.db import upgrade
from tests.channels.support import inbound_messages
from tests.channels.ussd_aggregator import PHONE, USSD
from tests.real_processes import free_port, healthy, start_baro, stop, wait_for

SECRET = "s3cr3t-ussd-token-42"


def dial(client, token: str, session: str = "ATUid_rotation"):
    form = {"sessionId": session, "phoneNumber": PHONE, "serviceCode": "*384*123#", "text": ""}
    return client.post(f"{USSD}?token={token}", data=form)


@pytest.fixture
def rotating(twilio, reconfigure):
    """USSD_TOKEN during a rotation: the new token, then the old one; list it before `client`."""
    reconfigure(USSD_TOKEN="new-token, old-token")


@pytest.mark.parametrize("token", ["new-token", "old-token"])
def test_during_a_rotation_the_new_and_the_old_token_are_both_taken(token, rotating, client, runtime):
    response = dial(client, token)

    assert response.status_code == 200, response.text
    assert response.text.startswith("CON ")
    assert [message.channel for message in inbound_messages(runtime)] == ["ussd"]


@pytest.mark.parametrize(
    "token", ["", "new-token,old-token", "new-token, old-token", "new", "new-token%2Cold-token", "old-token,"]
)
def test_during_a_rotation_anything_else_is_refused(token, rotating, client, runtime):
    response = dial(client, token)

    assert (response.status_code, response.text) == (403, "invalid token")
    assert inbound_messages(runtime) == []


@pytest.mark.parametrize("setting", ["", " , ", ","])
def test_without_a_token_ussd_is_refused(setting, twilio, reconfigure, client, runtime):
    reconfigure(USSD_TOKEN=setting)

    assert dial(client, "").status_code == 403
    assert dial(client, ",").status_code == 403


# --- the access log, as the real servers write it ----------------------------------------------------


# `uvicorn.run(create_app())`, the other way the app is served (bench/webhook.py), with uvicorn's own logging.
UVICORN = textwrap.dedent(
    """
    import sys

    import uvicorn

    from bot.app import create_app

    uvicorn.run(create_app(), host="127.0.0.1", port=int(sys.argv[1]), log_level="info")
    """
)


def serve(how: str, port: int, env: dict[str, str], log) -> subprocess.Popen:
    if how == "baro web":
        return start_baro("web", env={**env, "PORT": str(port)}, log=log)
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-c", UVICORN, str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@pytest.fixture
def server_env(environment, tmp_path) -> dict[str, str]:
    """The session's settings, with a database of the server's own: this test's processes never share the
    session's SQLite file with the other tests."""
    database = f"sqlite:///{tmp_path / 'web.sqlite3'}"
    upgrade(database)
    env = {**os.environ, **environment, "DATABASE_URL": database, "VAR_DIR": str(tmp_path / "var")}
    return env | {"USSD_TOKEN": f"{SECRET},old-{SECRET}", "SMS_PROVIDER": "none"}


@pytest.mark.parametrize("how", ["baro web", "uvicorn.run"])
def test_the_access_log_never_shows_the_token(how, server_env, tmp_path):
    env = server_env
    port, log = free_port(), tmp_path / "web.log"
    server = serve(how, port, env, log)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: healthy(f"{base}/healthz"), 60, "the web server")
        with httpx.Client(base_url=base, timeout=10) as client:
            assert dial(client, SECRET, "ATUid_log1").status_code == 200
            assert dial(client, f"old-{SECRET}", "ATUid_log2").status_code == 200
            # However the name is written, and wherever the token sits in the query.
            assert client.post(f"{USSD}?tok%65n={SECRET}&x=1").status_code == 400  # the token, but no form
            assert client.post(f"{USSD}?x=1&token={SECRET}%20").status_code == 403
        wait_for(lambda: log.read_text().count(f"{USSD}?") >= 4, 10, "four access lines")
    finally:
        stop(server)

    written = log.read_text(errors="replace")
    access = [line for line in written.splitlines() if f"POST {USSD}?" in line]
    assert len(access) == 4, written[-3000:]
    assert SECRET not in written, [line for line in written.splitlines() if SECRET in line]
    assert sum(f"{USSD}?token=[redacted] " in line for line in access) == 2, access
    assert any(f"{USSD}?tok%65n=[redacted]&x=1 " in line for line in access), access
    assert any(f"{USSD}?x=1&token=[redacted] " in line for line in access), access
    assert [line.split('HTTP/1.1"')[1].split()[0] for line in access] == ["200", "200", "400", "403"], access
