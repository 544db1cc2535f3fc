"""A USSD session as an aggregator (Africa's Talking protocol) relays it, for the USSD specifications.

Each key press is a form POST to /webhooks/ussd?token=... whose `text` holds every input of the
session so far joined by `*`; the answer is plain text, `CON ...` while a question is open and
`END ...` when the session closes. A screen holds 182 characters.
"""

import uuid

USSD = "/webhooks/ussd"
TOKEN = "ussd-secret"  # what the `twilio` fixture configures as USSD_TOKEN
PHONE = "+22370000050"
SCREEN = 182


class Aggregator:
    """One USSD session as the aggregator relays it: each input is appended to `text` with `*`.

    Every answer is checked the way a handset would show it: 200, text/plain, `CON ` or `END `,
    and at most one screen of text after that prefix.
    """

    def __init__(self, client, session_id: str | None = None, phone: str = PHONE, token: str = TOKEN):
        self.client = client
        self.session_id = session_id or f"ATUid_{uuid.uuid4().hex}"
        self.phone = phone
        self.token = token
        self.inputs: list[str] = []
        self.answer: str | None = None
        self.screens: list[str] = []  # every answer of this session, in order
        self._last_form: dict | None = None

    @property
    def text(self) -> str:
        return "*".join(self.inputs)

    def _post(self, form: dict) -> str:
        response = self.client.post(f"{USSD}?token={self.token}", data=form)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/plain")
        answer = response.text
        assert answer[:4] in ("CON ", "END "), answer
        assert len(answer) - 4 <= SCREEN, f"{len(answer) - 4} characters on one screen: {answer!r}"
        self._last_form, self.answer = form, answer
        self.screens.append(answer)
        return answer

    def _send(self) -> str:
        return self._post(
            {
                "sessionId": self.session_id,
                "serviceCode": "*384*123#",
                "phoneNumber": self.phone,
                "networkCode": "61001",
                "text": self.text,
            }
        )

    def dial(self) -> str:
        assert self.answer is None, "a session is dialled once"
        return self._send()

    def press(self, key: str) -> str:
        assert self.answer is not None and self.answer.startswith("CON "), "the session is over"
        self.inputs.append(key)
        return self._send()

    def presses(self, *keys: str) -> str:
        """Several inputs; the last answer."""
        for key in keys:
            self.press(key)
        return self.answer

    def replay(self) -> str:
        """The aggregator sends its last request again (a timeout on its side)."""
        return self._post(self._last_form)


def body(answer: str) -> str:
    """What the screen shows, without the CON/END prefix."""
    return answer[4:]


def lines(answer: str) -> list[str]:
    return body(answer).split("\n")


def screen(runtime, lang: str, flow: str, state: str, **params) -> str:
    """A flow state's screen as the catalogue writes it: prompt, then its numbered options.

    The prompt quotes what the line says of itself (who runs it, what a message costs) as the conversation does."""
    found = runtime.conversations.flows.state(flow, state)
    catalogues = runtime.catalogues
    return "\n".join(
        [catalogues.fill(lang, found.prompt, {**runtime.conversations.line, **params})]
        + [f"{option.key} {catalogues.text(lang, option.label)}" for option in found.options]
    )


def onboard(client, lang_key: str = "2") -> Aggregator:
    """A first session through language and consent, left at the main menu."""
    session = Aggregator(client)
    session.dial()
    session.presses(lang_key, "1")
    return session
