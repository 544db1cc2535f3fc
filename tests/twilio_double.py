"""A local stand-in for Twilio's Messages API, for tests that drive the real Twilio SDK.

The double is a small HTTP server on 127.0.0.1 that answers the way api.twilio.com does for the
few things this project uses, so the SDK is exercised unchanged except for its base URL::

    with TwilioDouble() as double:
        client = twilio.rest.Client(double.account_sid, double.auth_token)
        client.api.base_url = double.url          # or: client = double.client()
        message = client.messages.create(to="+22376000001", from_="+15005550006", body="I ni ce")
        assert double.sent[-1].sid == message.sid

What it does:

* ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` creates a message. HTTP basic auth must
  be the account SID and auth token (or an API key SID and secret from ``.api_keys``) else 401,
  code 20003; the path's account must be that account, else 404, code 20404. Then it checks, in
  Twilio's order: ``To`` present (21604), ``To`` is E.164, optionally with a ``whatsapp:`` prefix
  (21211), ``From`` or ``MessagingServiceSid`` present (21603), a ``Body``, ``ContentSid`` or
  ``MediaUrl`` present (21619), and ``To`` not in ``.opted_out`` (21610). A created message
  answers 201 with the JSON of a Message resource, status ``queued`` (``accepted`` when sent
  through a messaging service without ``From``, as Twilio does).
* ``POST /2010-04-01/Accounts/{AccountSid}/Calls.json`` starts a call (``To``, ``From``, ``Url``): 201 with
  a Call resource, status ``queued``; ``.calls`` lists them. No call is made, no ``Url`` fetched.
* ``GET /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json`` fetches a message, with the
  status last given to ``status_callback``. Anything else is a 404 in Twilio's error shape.
* Media (a WhatsApp photo or voice note, a call's recording): ``add_media(content, content_type)`` and
  ``add_recording(content)`` give the URL Twilio would post in ``MediaUrl0`` or ``RecordingUrl``. A GET of
  it (basic auth as above) answers the file; a DELETE of its ``.json`` resource answers 204 and forgets
  it (``.deleted`` lists those paths); an unknown one is a 404.
* Every request is recorded in ``.requests`` (a :class:`Recorded`); ``.sent`` is the successful
  creations only.
* Faults, for the next message (or media) requests in order: ``fail_next(n, status, code, message)``,
  ``drop_next(n)`` (close the connection without an answer), and ``.delay`` (seconds before every
  answer; the message is created and recorded first, as a slow Twilio would).
* ``status_callback(sid, status, error_code=None)`` gives the ``(url, form)`` Twilio would POST to
  the message's ``StatusCallback``, for a test to sign and post to the app.

It listens on loopback only and never touches the network beyond it.
"""

from __future__ import annotations

import base64
import hmac
import json
import re
import secrets
import socket
import threading
import time
from collections import deque
from contextlib import suppress
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

API_VERSION = "2010-04-01"
E164 = re.compile(r"^\+[1-9]\d{1,14}$")
MESSAGES = re.compile(rf"^/{API_VERSION}/Accounts/(?P<account>[^/]+)/Messages\.json$")
CALLS = re.compile(rf"^/{API_VERSION}/Accounts/(?P<account>[^/]+)/Calls\.json$")
MESSAGE = re.compile(rf"^/{API_VERSION}/Accounts/(?P<account>[^/]+)/Messages/(?P<sid>[^/]+)\.json$")
MEDIA_FILE = re.compile(
    rf"^/{API_VERSION}/Accounts/(?P<account>[^/]+)/(?:Messages/[^/]+/Media|Recordings)/[^/.]+(?P<json>\.json)?$"
)
REPEATED = ("MediaUrl", "PersistentAction")  # form fields the SDK sends once per list item

# Twilio's codes and messages for the HTTP statuses the double is told to fail with.
DEFAULT_ERRORS: dict[int, tuple[int | None, str]] = {
    400: (None, "Bad Request"),
    401: (20003, "Authenticate"),
    403: (20403, "Forbidden"),
    404: (20404, "The requested resource was not found"),
    429: (20429, "Too Many Requests"),
    500: (20500, "An internal server error has occurred"),
    502: (None, "Bad Gateway"),
    503: (20503, "Service Unavailable"),
    504: (None, "Gateway Timeout"),
}
DROPPED = 0  # Recorded.status of a request whose connection was closed without an answer

# The GSM 03.38 basic alphabet and its extension table, to count segments like Twilio.
GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = set("^{}\\[~]|€\f")


def num_segments(body: str) -> int:
    """How many SMS segments Twilio would bill for `body` (GSM-7 when possible, else UCS-2)."""
    if not body:
        return 1
    if all(ch in GSM_BASIC or ch in GSM_EXTENDED for ch in body):
        septets = sum(2 if ch in GSM_EXTENDED else 1 for ch in body)
        return 1 if septets <= 160 else -(-septets // 153)
    units = len(body.encode("utf-16-le")) // 2
    return 1 if units <= 70 else -(-units // 67)


def error_body(status: int, code: int | None, message: str) -> dict[str, Any]:
    """Twilio's JSON error document (the legacy shape the 2010 API still answers with)."""
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code if code is not None else status}",
        "status": status,
    }


@dataclass(frozen=True)
class Recorded:
    """One request the double received.

    `form` maps each field to its value (a list for `MediaUrl`, which may be repeated); `status`
    is the HTTP status answered, or 0 when the connection was dropped; `sid` is the created
    message's SID, or the fetched one's.
    """

    time: float  # time.monotonic() when the request arrived
    method: str
    path: str
    form: dict[str, Any]
    auth_ok: bool
    status: int
    sid: str | None = None


@dataclass
class _Fault:
    drop: bool = False
    status: int = 500
    code: int | None = None
    message: str = ""
    body: str | None = None


@dataclass
class _Answer:
    status: int
    document: Any = None
    raw: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    sid: str | None = None
    content: bytes | None = None  # a media file's bytes, sent as they are with `headers`' Content-Type


class TwilioDouble:
    """An imitation of api.twilio.com's Messages API on 127.0.0.1, in a background thread."""

    def __init__(self, account_sid: str | None = None, auth_token: str | None = None) -> None:
        self.account_sid = account_sid or "AC" + secrets.token_hex(16)
        self.auth_token = auth_token or secrets.token_hex(16)
        self.api_keys: dict[str, str] = {}  # API key SID -> secret, also accepted as basic auth
        self.opted_out: set[str] = set()  # numbers that sent STOP: sends to them fail with 21610
        self.delay: float = 0.0  # seconds to wait before every answer
        self._lock = threading.Lock()
        self._requests: list[Recorded] = []
        self._messages: dict[str, dict[str, Any]] = {}  # sid -> Message resource
        self._callbacks: dict[str, str] = {}  # sid -> StatusCallback URL
        self._media: dict[str, tuple[bytes, str]] = {}  # path (without .json) -> (content, content type)
        self.deleted: list[str] = []  # the media paths deleted, oldest first
        self._faults: deque[_Fault] = deque()
        self._connections: set[socket.socket] = set()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.start()

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> TwilioDouble:
        if self._server is not None:
            return self
        server = _Server(("127.0.0.1", 0), _Handler)
        server.double = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.01}, name="twilio-double", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:  # kept-alive connections of the SDK's pool
            with suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> TwilioDouble:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "the double is stopped"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """The base URL to give the SDK: `client.api.base_url = double.url`."""
        return f"http://127.0.0.1:{self.port}"

    def client(self, username: str | None = None, password: str | None = None, **kwargs: Any):
        """A real `twilio.rest.Client` (default TwilioHttpClient) pointed at this double."""
        from twilio.rest import Client

        client = Client(username or self.account_sid, password or self.auth_token, **kwargs)
        client.api.base_url = self.url
        return client

    # -- what happened ----------------------------------------------------------------------

    @property
    def requests(self) -> list[Recorded]:
        with self._lock:
            return list(self._requests)

    @property
    def sent(self) -> list[Recorded]:
        """The message creations that succeeded (201), oldest first."""
        with self._lock:
            return [r for r in self._requests if r.method == "POST" and r.status == 201 and MESSAGES.match(r.path)]

    @property
    def calls(self) -> list[Recorded]:
        """The calls started (201), oldest first."""
        with self._lock:
            return [r for r in self._requests if r.method == "POST" and r.status == 201 and CALLS.match(r.path)]

    def message(self, sid: str) -> dict[str, Any]:
        """The Message resource as the double last answered it (a copy)."""
        with self._lock:
            return dict(self._messages[sid])

    def reset(self) -> None:
        """Forget requests, messages, pending faults and the delay; keep credentials and opt-outs."""
        with self._lock:
            self._requests.clear()
            self._messages.clear()
            self._callbacks.clear()
            self._faults.clear()
            self._media.clear()
            self.deleted.clear()
        self.delay = 0.0

    # -- media ------------------------------------------------------------------------------

    def add_media(self, content: bytes, content_type: str) -> str:
        """A file sent with an inbound message; its URL, as Twilio posts it in ``MediaUrl0``."""
        message, media = secrets.token_hex(16), secrets.token_hex(16)
        path = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/MM{message}/Media/ME{media}"
        return self._keep(path, content, content_type)

    def add_recording(self, content: bytes, content_type: str = "audio/x-wav") -> str:
        """A call's recording; its URL, as Twilio posts it in ``RecordingUrl``."""
        path = f"/{API_VERSION}/Accounts/{self.account_sid}/Recordings/RE{secrets.token_hex(16)}"
        return self._keep(path, content, content_type)

    def _keep(self, path: str, content: bytes, content_type: str) -> str:
        with self._lock:
            self._media[path] = (content, content_type)
        return self.url + path

    def has_media(self, url: str) -> bool:
        """Whether the file at `url` is still here (not deleted)."""
        with self._lock:
            return urlsplit(url).path in self._media

    def _media_answer(self, method: str, path: str, account: str, as_json: bool) -> _Answer:
        resource = path.removesuffix(".json")
        with self._lock:
            found = self._media.get(resource) if account == self.account_sid else None
            if found is not None and method == "DELETE" and as_json:
                del self._media[resource]
                self.deleted.append(resource)
                return _Answer(204)
        if found is None:
            return self._not_found(path)
        if method == "GET" and not as_json:
            return _Answer(200, content=found[0], headers={"Content-Type": found[1]})
        return _Answer(405, error_body(405, 20004, "Method not allowed"))

    # -- faults -----------------------------------------------------------------------------

    def fail_next(
        self,
        n: int = 1,
        status: int = 500,
        code: int | None = None,
        message: str | None = None,
        body: str | None = None,
    ) -> None:
        """Answer the next `n` message requests with `status` and Twilio's error JSON.

        `code` and `message` default to Twilio's for that status (500 -> 20500, 429 -> 20429,
        503 -> 20503, ...). `body` replaces the JSON with a raw text/html body, like the pages a
        load balancer answers 502/503 with.
        """
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = f"HTTP {status}"
        default_code, default_message = DEFAULT_ERRORS.get(status, (None, phrase))
        fault = _Fault(
            status=status,
            code=code if code is not None else default_code,
            message=message if message is not None else default_message,
            body=body,
        )
        with self._lock:
            self._faults.extend(fault for _ in range(n))

    def drop_next(self, n: int = 1) -> None:
        """Close the connection of the next `n` message requests without answering."""
        with self._lock:
            self._faults.extend(_Fault(drop=True) for _ in range(n))

    # -- status callbacks -------------------------------------------------------------------

    def status_callback(
        self, sid: str, status: str, error_code: int | str | None = None
    ) -> tuple[str | None, dict[str, str]]:
        """The StatusCallback URL given for message `sid` (None if none) and the form Twilio posts.

        The double's copy of the message takes the new status, so a later fetch sees it.
        """
        with self._lock:
            message = self._messages[sid]
            message["status"] = status
            message["date_updated"] = formatdate(usegmt=True)
            if error_code is not None:
                message["error_code"] = int(error_code)
            url = self._callbacks.get(sid)
            form = {
                "SmsSid": sid,
                "SmsStatus": status,
                "MessageStatus": status,
                "To": message["to"],
                "MessageSid": sid,
                "AccountSid": message["account_sid"],
                "From": message["from"] or "",
                "ApiVersion": API_VERSION,
            }
            if message["messaging_service_sid"]:
                form["MessagingServiceSid"] = message["messaging_service_sid"]
            if error_code is not None:
                form["ErrorCode"] = str(error_code)
        return url, form

    # -- the API ----------------------------------------------------------------------------

    def _authenticate(self, header: str | None) -> tuple[bool, str | None]:
        if not header or not header.startswith("Basic "):
            return False, None
        try:
            username, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False, None
        expected = self.auth_token if username == self.account_sid else self.api_keys.get(username)
        return expected is not None and hmac.compare_digest(password, expected), username

    def _handle(self, method: str, path: str, form: dict[str, Any], auth_ok: bool) -> _Answer | None:
        """The answer to one request, or None to drop the connection. Records it."""
        arrived = time.monotonic()
        created = MESSAGES.match(path)
        fetched = MESSAGE.match(path)
        fault = None
        if created or fetched or MEDIA_FILE.match(path):
            with self._lock:
                fault = self._faults.popleft() if self._faults else None
        if fault is not None and fault.drop:
            answer = None
        elif fault is not None:
            answer = _Answer(fault.status, error_body(fault.status, fault.code, fault.message), fault.body)
        elif not auth_ok:
            answer = _Answer(
                401,
                {**error_body(401, 20003, "Authenticate"), "detail": "Your AccountSid or AuthToken was incorrect."},
                headers={"WWW-Authenticate": 'Basic realm="Twilio API"'},
            )
        elif media := MEDIA_FILE.match(path):
            answer = self._media_answer(method, path, media["account"], bool(media["json"]))
        elif created and method == "POST":
            answer = self._create(created["account"], form)
        elif (called := CALLS.match(path)) and method == "POST":
            answer = self._call(called["account"], form)
        elif fetched and method == "GET" and fetched["account"] == self.account_sid:
            with self._lock:
                message = self._messages.get(fetched["sid"])
                answer = _Answer(200, dict(message), sid=fetched["sid"]) if message else None
            answer = answer or self._not_found(path)
        elif (created or fetched) and method not in ("GET", "POST"):
            answer = _Answer(405, error_body(405, 20004, "Method not allowed"))
        else:
            answer = self._not_found(path)
        with self._lock:
            self._requests.append(
                Recorded(
                    time=arrived,
                    method=method,
                    path=path,
                    form=form,
                    auth_ok=auth_ok,
                    status=answer.status if answer else DROPPED,
                    sid=answer.sid if answer else None,
                )
            )
        return answer

    def _not_found(self, path: str) -> _Answer:
        return _Answer(404, error_body(404, 20404, f"The requested resource {path} was not found"))

    def _create(self, account: str, form: dict[str, Any]) -> _Answer:
        if account != self.account_sid:
            return self._not_found(f"/{API_VERSION}/Accounts/{account}/Messages.json")
        to = form.get("To", "")
        from_ = form.get("From") or None
        service = form.get("MessagingServiceSid") or None
        media = form.get("MediaUrl", [])
        number = to.removeprefix("whatsapp:")

        def invalid(code: int, message: str) -> _Answer:
            return _Answer(400, error_body(400, code, message))

        if not to:
            return invalid(21604, "A 'To' phone number is required.")
        if not E164.match(number):
            return invalid(21211, f"Invalid 'To' Phone Number: {to}")
        if not from_ and not service:
            return invalid(21603, "A 'From' phone number is required.")
        if not form.get("Body") and not form.get("ContentSid") and not media:
            return invalid(21619, "A text message body or media urls must be specified.")
        if to in self.opted_out or number in self.opted_out:
            return invalid(21610, "Attempt to send to unsubscribed recipient")

        sid = "SM" + secrets.token_hex(16)
        now = formatdate(usegmt=True)
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}.json"
        body = form.get("Body", "")
        pooled = service is not None and from_ is None  # Twilio picks the sender later
        message = {
            "body": body,
            "num_segments": "0" if pooled else str(num_segments(body)),
            "direction": "outbound-api",
            "from": from_,
            "to": to,
            "date_updated": now,
            "price": None,
            "error_message": None,
            "uri": uri,
            "account_sid": self.account_sid,
            "num_media": str(len(media)),
            "status": "accepted" if pooled else "queued",
            "messaging_service_sid": service,
            "sid": sid,
            "date_sent": None,
            "date_created": now,
            "error_code": None,
            "price_unit": "USD",
            "api_version": API_VERSION,
            "subresource_uris": {
                "media": uri.removesuffix(".json") + "/Media.json",
                "feedback": uri.removesuffix(".json") + "/Feedback.json",
            },
        }
        with self._lock:
            self._messages[sid] = message
            if form.get("StatusCallback"):
                self._callbacks[sid] = form["StatusCallback"]
        return _Answer(201, dict(message), sid=sid)

    def _call(self, account: str, form: dict[str, Any]) -> _Answer:
        if account != self.account_sid:
            return self._not_found(f"/{API_VERSION}/Accounts/{account}/Calls.json")
        if not E164.match(form.get("To", "")):
            return _Answer(400, error_body(400, 21211, f"Invalid 'To' Phone Number: {form.get('To', '')}"))
        if not form.get("From"):
            return _Answer(400, error_body(400, 21213, "Caller phone number is required"))
        if not form.get("Url") and not form.get("Twiml"):
            return _Answer(400, error_body(400, 21205, "Url parameter is required."))
        sid = "CA" + secrets.token_hex(16)
        call = {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": form["To"],
            "from": form["From"],
            "status": "queued",
            "direction": "outbound-api",
            "date_created": formatdate(usegmt=True),
            "api_version": API_VERSION,
            "uri": f"/{API_VERSION}/Accounts/{self.account_sid}/Calls/{sid}.json",
        }
        return _Answer(201, call, sid=sid)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    double: TwilioDouble

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when a client gave up (a timeout) or the double stopped mid-answer."""
        import sys

        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so the SDK's pooled session reuses connections
    disable_nagle_algorithm = True  # else headers then body cost a 40 ms delayed ACK per request
    server: _Server
    server_version = "TwilioDouble/1.0"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        double = self.server.double
        with double._lock:
            double._connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            double = self.server.double
            with double._lock:
                double._connections.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        double = self.server.double
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8") if length else ""
        parsed = parse_qs(raw, keep_blank_values=True)
        form: dict[str, Any] = {
            key: (values if key in REPEATED else values[-1]) for key, values in parsed.items()
        }
        auth_ok, _ = double._authenticate(self.headers.get("Authorization"))
        answer = double._handle(self.command, urlsplit(self.path).path, form, auth_ok)
        if double.delay:
            time.sleep(double.delay)
        if answer is None:  # drop: no status line, no headers, just a closed connection
            self.close_connection = True
            with suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if answer.content is not None or answer.status == 204:
            payload, content_type = answer.content or b"", answer.headers.pop("Content-Type", None)
        elif answer.raw is not None:
            payload, content_type = answer.raw.encode("utf-8"), "text/html; charset=utf-8"
        else:
            payload, content_type = json.dumps(answer.document).encode("utf-8"), "application/json; charset=utf-8"
        self.send_response(answer.status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Twilio-Request-Id", "RQ" + secrets.token_hex(16))
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)
