"""Fixtures of the channel specifications: a local HTTP SMS gateway beside the Twilio double."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

GATEWAY_TOKEN = "out-token"  # we send it to the gateway
GATEWAY_SECRET = "in-secret"  # the gateway sends it to us


class FakeGateway(BaseHTTPRequestHandler):
    """A local aggregator's HTTP API: answers like the contract in bot/channels/gateway.py.

    `answers` are given in order, one per request, the last one for every request after it: an HTTP
    status and a JSON payload (or a string, sent as it is).
    """

    received: ClassVar[list[tuple[str, dict]]] = []  # (Authorization header, JSON body) of each request
    answers: ClassVar[list[tuple[int, object]]] = [(200, {"id": "AGG-1"})]

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        FakeGateway.received.append((self.headers["authorization"], body))
        status, payload = FakeGateway.answers[0] if len(FakeGateway.answers) == 1 else FakeGateway.answers.pop(0)
        data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(twilio, reconfigure):
    """SMS goes out through a local gateway (WhatsApp still through the Twilio double); list it before `client`."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeGateway)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    FakeGateway.received, FakeGateway.answers = [], [(200, {"id": "AGG-1"})]
    reconfigure(
        SMS_PROVIDER="gateway",
        GATEWAY_URL=f"http://127.0.0.1:{server.server_port}/send",
        GATEWAY_TOKEN=GATEWAY_TOKEN,
        GATEWAY_SECRET=GATEWAY_SECRET,
    )
    yield FakeGateway
    server.shutdown()
    server.server_close()


@pytest.fixture
def prompts_dir(tmp_path, reconfigure):
    """Voice prompt recordings in a folder of the test's own; list it before `client`."""
    reconfigure(VOICE_PROMPTS_DIR=str(tmp_path / "voice"))
    return tmp_path / "voice"


@pytest.fixture
def callback(twilio, reconfigure):
    """Missed calls to the voice line are called back; list it before `client`."""
    from tests.channels.voice_caller import LINE

    reconfigure(VOICE_CALLBACK="true", TWILIO_VOICE_FROM=LINE)
    return twilio
