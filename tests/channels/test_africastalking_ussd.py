"""USSD, Africa's Talking (bot.channels.ussd): what the aggregator gets back from each request, and what is stored.

The aggregator POSTs a form (`sessionId`, `phoneNumber`, `text`, `serviceCode`...) to
/webhooks/ussd?token=USSD_TOKEN for every key press and shows our plain-text answer: `CON ` and
a screen while a question is open, `END ` and a screen when the session is over. There is no
signature: the token in the URL is the only proof. One request of a session is one inbound
message, its provider id made of the sessionId and the text, so a replayed request is stored
once. Whole sessions (paging, replays mid-session, the SMS confirmation) are specified in
tests/channels/test_ussd_sessions.py. USSD sends nothing and receives no delivery report.
"""

import hashlib
from dataclasses import dataclass, field

import pytest

from tests.channels.support import Inbound, inbound_messages, rows
from tests.channels.ussd_aggregator import PHONE, SCREEN, TOKEN, USSD

SESSION = "ATUid_1"
FORM = "application/x-www-form-urlencoded"
LANGUAGE_MENU = ("1 Français", "2 Bamanankan")


def dial(**changes: str | None) -> dict[str, str]:
    """The form of a session's first request (an empty `text`), with `changes` (None removes a field)."""
    form = {
        "sessionId": SESSION,
        "serviceCode": "*384*123#",
        "phoneNumber": PHONE,
        "networkCode": "61001",
        "text": "",
        **changes,
    }
    return {name: value for name, value in form.items() if value is not None}


def ussd_id(session_id: str, text: str) -> str:
    """The provider id of one request of a session: the same for a replay of it, and no longer than 64."""
    return "ussd:" + hashlib.sha256(f"{session_id}\x00{text}".encode()).hexdigest()[:40]


@dataclass(frozen=True)
class IncomingCase:
    """One request to /webhooks/ussd, what the aggregator gets back, and what is stored."""

    label: str
    form: dict[str, str] = field(default_factory=dial)
    raw: bytes | None = None  # a body posted as it is, instead of `form`
    streamed: bool = False  # `raw` sent in chunks, without Content-Length
    token: str | None = TOKEN  # in ?token=; None: no query at all
    env: dict[str, str | None] = field(default_factory=dict)
    times: int = 1  # posted this many times (the aggregator replays a request it timed out on)
    status: int = 200
    body: str | None = None  # the exact answer: a refusal's reason
    opens: str = "CON "  # how a 200 answer starts
    says: tuple[str, ...] = ()  # on the screen
    stored: Inbound | None = None  # the one inbound message stored; None: nothing at all


DIALLED = Inbound("ussd", PHONE, "", ussd_id(SESSION, ""))


def chunks_of(body: bytes, size: int = 8192):
    for start in range(0, len(body), size):
        yield body[start : start + size]


OVERSIZED = b"sessionId=ATUid_1&phoneNumber=%2B22370000050&text=" + b"x" * 3 * 8192

INCOMING = [
    IncomingCase("dialling opens the session with the language menu", says=LANGUAGE_MENU, stored=DIALLED),
    IncomingCase(
        "the aggregator's replay gets the same screen and is stored once", times=3, says=LANGUAGE_MENU, stored=DIALLED
    ),
    IncomingCase(
        "a first request without text opens the session", form=dial(text=None), says=LANGUAGE_MENU, stored=DIALLED
    ),
    IncomingCase(
        "fields the aggregator adds are accepted",
        form=dial(hopCount="1", operator="Orange Mali"),
        says=LANGUAGE_MENU,
        stored=DIALLED,
    ),
    IncomingCase(
        "spaces around sessionId and phoneNumber are not part of them",
        form=dial(sessionId=f" {SESSION} ", phoneNumber=f" {PHONE} "),
        says=LANGUAGE_MENU,
        stored=DIALLED,
    ),
    IncomingCase(
        "a number without its country code is read as Malian",
        form=dial(phoneNumber="70000050"),
        says=LANGUAGE_MENU,
        stored=DIALLED,
    ),
    IncomingCase(
        "a sessionId of 100 characters is taken whole",
        form=dial(sessionId="s" * 100),
        says=LANGUAGE_MENU,
        stored=Inbound("ussd", PHONE, "", ussd_id("s" * 100, "")),
    ),
    # What no aggregator's request lacks.
    IncomingCase(
        "a request without sessionId is refused",
        form=dial(sessionId=None),
        status=400,
        body="sessionId: Field required",
    ),
    IncomingCase(
        "a request without phoneNumber is refused",
        form=dial(phoneNumber=None),
        status=400,
        body="phoneNumber: Field required",
    ),
    IncomingCase(
        "a blank sessionId is refused",
        form=dial(sessionId="  "),
        status=400,
        body="sessionId: String should have at least 1 character",
    ),
    IncomingCase(
        "a blank phoneNumber is refused",
        form=dial(phoneNumber=" "),
        status=400,
        body="phoneNumber: String should have at least 1 character",
    ),
    IncomingCase(
        "a sessionId over 100 characters is refused",
        form=dial(sessionId="s" * 101),
        status=400,
        body="sessionId: String should have at most 100 characters",
    ),
    IncomingCase(
        "a text longer than MAX_TEXT_CHARS, longer than any session, is refused",
        form=dial(text="1*" * 11),
        env={"MAX_TEXT_CHARS": "20"},
        status=400,
        body="text: Value error, text is too long",
    ),
    IncomingCase(
        "a body that is not UTF-8 is refused",
        raw=b"sessionId=ATUid_1&phoneNumber=%2B22370000050&text=caf\xe9",
        status=400,
        body="the form is not valid UTF-8",
    ),
    IncomingCase(
        "percent-escapes that are not UTF-8 are refused",
        raw=b"sessionId=ATUid_1&phoneNumber=%2B22370000050&text=caf%E9",
        status=400,
        body="the form is not valid UTF-8",
    ),
    IncomingCase(
        "a body declared over MAX_BODY_BYTES is refused",
        raw=OVERSIZED,
        env={"MAX_BODY_BYTES": "16384"},
        status=413,
        body="body too large",
    ),
    IncomingCase(
        "a body without Content-Length is refused once it grows over MAX_BODY_BYTES",
        raw=OVERSIZED,
        streamed=True,
        env={"MAX_BODY_BYTES": "16384"},
        status=413,
        body="body too large",
    ),
    # The token in the callback URL.
    IncomingCase("a wrong token is refused", token="wrong", status=403, body="invalid token"),
    IncomingCase("an empty token is refused", token="", status=403, body="invalid token"),
    IncomingCase("a request without a token is refused", token=None, status=403, body="invalid token"),
    IncomingCase(
        "the token in the form instead of the URL is refused",
        form=dial(token=TOKEN),
        token=None,
        status=403,
        body="invalid token",
    ),
    IncomingCase(
        "without a configured USSD_TOKEN every request is refused, even with an empty token",
        token="",
        env={"USSD_TOKEN": None},
        status=403,
        body="invalid token",
    ),
    IncomingCase(
        "a request without the token is refused before its form is read",
        form={},
        token="wrong",
        status=403,
        body="invalid token",
    ),
]


@pytest.mark.parametrize("case", INCOMING, ids=[case.label for case in INCOMING])
def test_a_ussd_request(case: IncomingCase, reconfigure, request):
    reconfigure(**{"USSD_TOKEN": TOKEN, **case.env})
    client, runtime = request.getfixturevalue("client"), request.getfixturevalue("runtime")
    assert runtime.settings.ussd_token == (case.env.get("USSD_TOKEN", TOKEN) or "")
    before = rows(runtime)

    path = USSD if case.token is None else f"{USSD}?token={case.token}"
    responses = []
    for _ in range(case.times):
        if case.raw is not None:
            content = chunks_of(case.raw) if case.streamed else case.raw
            responses.append(client.post(path, content=content, headers={"content-type": FORM}))
        else:
            responses.append(client.post(path, data=case.form))

    for response in responses:
        assert (response.status_code, response.text) == (case.status, responses[0].text)
        assert response.headers["content-type"].startswith("text/plain")
    answer = responses[0].text
    if case.status == 200:
        assert answer.startswith(case.opens)
        assert len(answer) - len(case.opens) <= SCREEN
        for words in case.says:
            assert words in answer
    else:
        assert answer == case.body

    if case.stored is None:
        assert rows(runtime) == before  # no message, no contact
    else:
        assert inbound_messages(runtime) == [case.stored]
        assert rows(runtime).outbound == 1  # the screen, stored once
