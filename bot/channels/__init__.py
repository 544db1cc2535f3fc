"""The channel adapters, one module each, registered here: adding a channel is a module and a line.

The order matters where two could send on the same channel: the first that is configured for it
sends (Twilio's WhatsApp before the console's).
"""

from bot.channels.base import ChannelAdapter
from bot.channels.console import Console
from bot.channels.gateway import HttpGateway
from bot.channels.twilio import TwilioMessaging
from bot.channels.ussd import AfricasTalkingUssd
from bot.channels.voice import TwilioVoice
from bot.config import Settings
from bot.outbound.provider import Sender
from bot.screens import ScreenLimit
from bot.vocabulary import Channel

ADAPTERS: tuple[ChannelAdapter, ...] = (
    AfricasTalkingUssd(),
    TwilioMessaging(),
    TwilioVoice(),
    HttpGateway(),
    Console(),
)


def senders(settings: Settings) -> dict[Channel, Sender]:
    """The provider that sends each channel, as configured."""
    chosen: dict[Channel, Sender] = {}
    for adapter in ADAPTERS:
        for channel, sender in adapter.senders(settings).items():
            chosen.setdefault(channel, sender)
    return chosen


def limits() -> tuple[ScreenLimit, ...]:
    """Every channel's screen limit, each once (several adapters send SMS)."""
    return tuple(dict.fromkeys(limit for adapter in ADAPTERS for limit in adapter.limits()))
