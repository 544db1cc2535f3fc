"""The console (bot.channels.console): on one machine, what would be sent is written to an outbox instead.

With SMS_PROVIDER=console (what `make run` sets), SMS, and WhatsApp when Twilio does not send it,
are appended to VAR_DIR/outbox.jsonl, one JSON object a line; `baro simulate` reads the lines added
since it last looked (`read_outbox`). The console receives nothing: it has no route.
"""

import json
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from bot.channels.console import read_outbox
from bot.models import Contact
from bot.runtime import get_runtime
from bot.vocabulary import Channel
from tests.channels.support import a_contact, queued, sent_message, stored
from tests.conftest import run_worker

NUMBER = "+22370000061"


@dataclass(frozen=True)
class OutgoingCase:
    """A message the console sends, and the line it leaves in the outbox."""

    label: str
    channel: Channel
    text: str
    env: dict[str, str | None] = field(default_factory=dict)


OUTGOING = [
    OutgoingCase("an SMS is written to the outbox", Channel.SMS, "Votre cas est résolu."),
    OutgoingCase(
        "a WhatsApp message is written to the outbox when Twilio does not send it", Channel.WHATSAPP, "I ni ce"
    ),
    OutgoingCase(
        "Bambara letters and emoji are written as they are, not escaped", Channel.SMS, "Ji tɛ yen, ɲɔgɔn 😢 ŋ"
    ),
]


@pytest.mark.parametrize("case", OUTGOING, ids=[case.label for case in OUTGOING])
def test_sending_to_the_console(case: OutgoingCase, reconfigure, request, tmp_path):
    reconfigure(
        SMS_PROVIDER="console",
        VAR_DIR=tmp_path,
        TWILIO_SMS_FROM=None,
        TWILIO_WHATSAPP_FROM=None,
        SMS_PER_SECOND=1000,
        WHATSAPP_PER_SECOND=1000,
        **case.env,
    )
    runtime = request.getfixturevalue("runtime")

    message = sent_message(runtime, a_contact(runtime, NUMBER), case.text, case.channel)

    (line,) = (tmp_path / "outbox.jsonl").read_text(encoding="utf-8").splitlines()
    assert case.text in line
    record = json.loads(line)
    assert {name: record[name] for name in ("id", "to", "channel", "text")} == {
        "id": message.provider_id,
        "to": NUMBER,
        "channel": case.channel,
        "text": case.text,
    }
    assert message.provider_id.startswith("console:") and record["at"]
    assert message.status == "queued"


def test_on_one_machine_messages_go_to_the_outbox_that_simulate_reads(reconfigure, make_phone, runtime, tmp_path):
    reconfigure(SMS_PROVIDER="console", VAR_DIR=tmp_path)
    runtime = get_runtime()  # built from the new settings
    make_phone(NUMBER).converse("Bonjour", "1", "1")
    with runtime.database() as db:
        contact_id = db.scalar(select(Contact.id))
    message_id = queued(runtime, contact_id, "Votre cas est résolu.")
    run_worker(runtime.redis)
    assert runtime.settings.outbox == tmp_path / "outbox.jsonl"
    messages, offset = read_outbox(runtime.settings.outbox, 0)
    assert [(m["to"], m["channel"], m["text"]) for m in messages] == [(NUMBER, "sms", "Votre cas est résolu.")]
    assert stored(runtime, message_id).status == "queued" and offset > 0
    assert read_outbox(runtime.settings.outbox, offset) == ([], offset)


# ---------------------------------------------------------------------------------------------
# Reading the outbox, as `baro simulate` does: the lines added since an offset.

FIRST = b'{"id": "console:1", "to": "+22370000061", "channel": "sms", "text": "Un"}\n'
SECOND = '{"id": "console:2", "to": "+22370000061", "channel": "sms", "text": "Deux ɲ"}\n'.encode()
ONE, TWO = json.loads(FIRST), json.loads(SECOND)


@dataclass(frozen=True)
class ReadCase:
    label: str
    outbox: bytes | None  # None: no outbox yet
    offset: int
    messages: list[dict]
    new_offset: int


READS = [
    ReadCase("before anything was sent there is nothing to read", None, 0, [], 0),
    ReadCase("every line from the start", FIRST + SECOND, 0, [ONE, TWO], len(FIRST + SECOND)),
    ReadCase("only the lines after the offset", FIRST + SECOND, len(FIRST), [TWO], len(FIRST + SECOND)),
    ReadCase("nothing new at the end", FIRST, len(FIRST), [], len(FIRST)),
    ReadCase("a line still being written waits for the next read", FIRST + SECOND[:20], 0, [ONE], len(FIRST)),
    ReadCase("a blank line is skipped", FIRST + b"\n" + SECOND, 0, [ONE, TWO], len(FIRST + SECOND) + 1),
]


@pytest.mark.parametrize("case", READS, ids=[case.label for case in READS])
def test_reading_the_outbox(case: ReadCase, tmp_path):
    outbox = tmp_path / "outbox.jsonl"
    if case.outbox is not None:
        outbox.write_bytes(case.outbox)
    assert read_outbox(outbox, case.offset) == (case.messages, case.new_offset)
