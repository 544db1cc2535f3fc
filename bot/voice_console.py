"""`baro simulate --voice`: a call to the voice line from a terminal, posted as Twilio Voice would post it.

Each request is signed over its action URL (with its `?step=`) like Twilio's. Each answer's TwiML is shown as
what it says: the text each `<Play>` stands for and its recording file, or the words of a `<Say>` (Twilio's
French voice). Keys are typed at a menu. A terminal cannot make a Twilio recording (baro only fetches one
from Twilio's API), so at a spoken question the words typed are not sent: the answer is posted as a caller
who pressed # with nothing recorded (baro asks again), or as the key typed if it is one the question offers.
"""

import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from itertools import groupby
from urllib.parse import urlsplit

import httpx
from twilio.request_validator import RequestValidator

from bot.channels.voice import VOICE
from bot.config import Settings
from bot.voice_prompts import Recordings

LINE = "+22300000000"  # the line's number, as Twilio's `To` (or `From`, on a call back)
HELP = (
    "A call to the voice line. Type the keys to press at a menu; an empty line hangs up.\n"
    "At a spoken question (after the beep), type what you would say: it is shown, not sent. Only Twilio makes\n"
    "recordings (baro fetches them from Twilio's API), so baro hears # pressed with nothing recorded and asks\n"
    "again, as it would a caller who said nothing. Type a key the question offers instead (e.g. 0) to press it."
)


class VoiceConsole:
    """One call: its requests signed like Twilio's, its answers shown as the texts and files they stand for."""

    def __init__(
        self,
        client: httpx.Client,
        settings: Settings,
        recordings: Recordings,
        phone: str,
        ask: Callable[[str], str | None],
        echo: Callable[[str], None],
    ):
        self.client = client
        self.settings = settings
        self.recordings = recordings
        self.validator = RequestValidator(settings.twilio_auth_token)
        self.ask = ask
        self.echo = echo
        self.call_sid = f"CA{uuid.uuid4().hex}"
        self.parties = {"From": phone, "To": LINE, "Direction": "inbound"}
        self.words = {
            (lang, prompt.key): prompt.text for lang in settings.languages for prompt in recordings.prompts(lang)
        }

    def post(self, url: str, **fields: str) -> ET.Element:
        form = {"CallSid": self.call_sid, "AccountSid": self.settings.twilio_account_sid or "AC" + "0" * 32}
        form |= self.parties | {"CallStatus": "in-progress"} | fields
        signature = self.validator.compute_signature(url, form)
        response = self.client.post(url, data=form, headers={"X-Twilio-Signature": signature})
        if response.status_code != 200:
            raise RuntimeError(f"[HTTP {response.status_code}] {response.text}")
        return ET.fromstring(response.text)

    def run(self) -> None:
        """Dial, then answer each question from the terminal until baro hangs up or the person does."""
        self.echo(HELP)
        folders = " then ".join(str(folder) for folder in self.recordings.folders)
        self.echo(f"Recordings [<lang>/<file>] are played from {folders}.")
        twiml = self.post(f"{self.settings.public_url}{VOICE}")
        if twiml.find("Reject") is not None:
            # VOICE_CALLBACK: a worker would now call back through Twilio; here the call back is answered at once.
            self.echo("baro rejects the call as busy (free for you) and calls you back. You answer:")
            self.call_sid = f"CA{uuid.uuid4().hex}"
            self.parties = {"From": LINE, "To": self.parties["From"], "Direction": "outbound-api"}
            twiml = self.post(f"{self.settings.public_url}{VOICE}")
        while True:
            question = self.show(twiml)
            if question is None:
                self.echo("baro hangs up.")
                return
            keys = self.ask("keys> " if question.tag == "Gather" else "you say> ")
            if not keys:
                self.echo("You hang up.")
                return
            keys = keys.strip()
            if question.tag == "Gather" or (len(keys) == 1 and keys in question.get("finishOnKey", "")):
                twiml = self.post(question.get("action"), Digits=keys)
            else:
                self.echo("(not sent: no recording without Twilio; # pressed)")
                twiml = self.post(question.get("action"), Digits="#")

    def show(self, twiml: ET.Element) -> ET.Element | None:
        """Print what the answer says first, up to its question; the question (`<Gather>`, `<Record>`) if any."""
        sounds: list[ET.Element] = []
        for element in twiml:
            if element.tag == "Gather":
                self.say([*sounds, *element])
                return element
            if element.tag == "Record":
                self.say(sounds)
                self.echo("baro> *beep* (speak, then press #)")
                return element
            sounds.append(element)
        self.say(sounds)
        return None

    def say(self, sounds: list[ET.Element]) -> None:
        """Runs of `<Play>`s as the text they stand for and their files; of `<Say>`s as Twilio's French voice."""
        for played, run in groupby((sound for sound in sounds if sound.tag in ("Play", "Say")), lambda s: s.tag):
            if played == "Say":
                self.echo(f'baro> "{" ".join(sound.text or "" for sound in run).strip()}"  (French voice)')
                continue
            words, files = [], []
            for sound in run:
                lang, name = urlsplit(sound.text).path.rsplit("/", 2)[-2:]
                words.append(self.words.get((lang, name.rsplit(".", 1)[0]), name))
                files.append(f"{lang}/{name}")
            self.echo(f'baro> "{" ".join(words)}"  [{", ".join(files)}]')
