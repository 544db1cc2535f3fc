"""A provider for running baro on one machine: outbound messages are written to a file, not sent.

With SMS_PROVIDER=console (what `make run` sets), SMS, and WhatsApp when Twilio does not send it,
go to var/outbox.jsonl; `baro simulate` shows the ones addressed to its number, so a newcomer sees
staff replies and closing messages arrive without any real SMS provider.
"""

import json
import uuid
from pathlib import Path

from bot.channels.base import ChannelAdapter
from bot.channels.sms import SMS_PARTS
from bot.config import Settings
from bot.models import utcnow
from bot.outbound.provider import Outgoing, Sender
from bot.vocabulary import Channel


class ConsoleSender:
    def __init__(self, outbox: Path):
        self.outbox = outbox

    def send(self, out: Outgoing) -> str:
        provider_id = f"console:{uuid.uuid4().hex}"
        record = {"id": provider_id, "to": out.to, "channel": out.channel, "text": out.text, "at": utcnow().isoformat()}
        self.outbox.parent.mkdir(parents=True, exist_ok=True)
        with self.outbox.open("a", encoding="utf-8") as outbox:
            outbox.write(json.dumps(record, ensure_ascii=False) + "\n")
        return provider_id


class Console(ChannelAdapter):
    name = "console"

    def senders(self, settings: Settings) -> dict[Channel, Sender]:
        if settings.sms_provider != self.name:
            return {}
        console = ConsoleSender(settings.outbox)
        return {Channel.SMS: console, Channel.WHATSAPP: console}

    def limits(self):
        return (SMS_PARTS,)


def read_outbox(outbox: Path, offset: int) -> tuple[list[dict], int]:
    """Messages written since `offset` (bytes), and the new offset."""
    if not outbox.exists():
        return [], offset
    with outbox.open("rb") as file:
        file.seek(offset)
        data = file.read()
    complete = data[: data.rfind(b"\n") + 1]  # a line still being written waits for the next read
    return [json.loads(line) for line in complete.decode("utf-8").splitlines() if line], offset + len(complete)
