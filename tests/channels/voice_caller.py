"""A telephone call as Twilio Voice relays it, for the voice specifications.

Twilio posts the call to the number's Voice URL, then each key press to the `<Gather>`'s action and each
recording to the `<Record>`'s action, every request signed over its full URL (the `?step=` included). The
answer is TwiML; `Caller` follows it the way Twilio would and reads what it says and offers.
"""

import uuid
import wave
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

from bot.voice_prompts import Recordings
from tests.conftest import TEST_URL, sign

VOICE = "/webhooks/twilio/voice"
PHONE = "+22370000060"
LINE = "+22320000002"  # the line's voice number


class Caller:
    """One call: `dial`, then `press` keys at menus and `speak` at questions, as Twilio would post them."""

    def __init__(self, client, auth_token: str, phone: str = PHONE, called_back: bool = False):
        self.client = client
        self.auth_token = auth_token
        self.phone = phone
        self.call_sid = f"CA{uuid.uuid4().hex}"
        # On a call baro makes (a call back), Twilio's `From` is the line and `To` the person.
        self.parties = {"From": LINE, "To": phone} if called_back else {"From": phone, "To": LINE}
        self.direction = "outbound-api" if called_back else "inbound"
        self.twiml: ET.Element | None = None
        self.last: tuple[str, dict] | None = None

    def post(self, url: str, form: dict, signature: str | None = None):
        return self.client.post(
            url, data=form, headers={"X-Twilio-Signature": signature or sign(self.auth_token, url, form)}
        )

    def _request(self, url: str, **fields: str) -> ET.Element:
        form = {"CallSid": self.call_sid, "AccountSid": "AC" + "0" * 32, "Direction": self.direction}
        form |= self.parties | {"CallStatus": "in-progress"} | fields
        response = self.post(url, form)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/xml")
        self.last = (url, form)
        self.twiml = ET.fromstring(response.text)
        return self.twiml

    def dial(self) -> ET.Element:
        return self._request(TEST_URL + VOICE)

    def press(self, digits: str) -> ET.Element:
        gather = self.twiml.find("Gather")
        assert gather is not None, f"no menu to answer: {ET.tostring(self.twiml)!r}"
        return self._request(gather.get("action"), Digits=digits)

    def speak(self, recording_url: str, seconds: int = 7, key: str = "#") -> ET.Element:
        """The person speaks after the beep and presses `key` (#, or a way out like 0)."""
        record = self.twiml.find("Record")
        assert record is not None, f"no question to answer by speaking: {ET.tostring(self.twiml)!r}"
        sid = f"RE{uuid.uuid4().hex}"
        fields = {"RecordingSid": sid, "RecordingUrl": recording_url, "RecordingDuration": str(seconds)}
        return self._request(record.get("action"), Digits=key, **fields)

    def replay(self):
        """Twilio sends the last request again; the raw response."""
        url, form = self.last
        return self.post(url, form)


def said(twiml: ET.Element) -> list[str]:
    """What the answer says first, in order: the French voice's words, and each recording's file name."""
    sounds = []
    for element in twiml.iter():
        if element.tag == "Say":
            sounds.append(element.text or "")
        elif element.tag == "Play":
            sounds.append(urlsplit(element.text).path.rsplit("/", 2)[-2] + "/" + element.text.rsplit("/", 1)[-1])
        elif element.tag in ("Gather", "Record") and sounds:
            break  # the question said once more, then goodbye: not what is said first
    return sounds


def first_words(twiml: ET.Element) -> str:
    return " ".join(said(twiml))


def verbs(twiml: ET.Element) -> list[str]:
    return [element.tag for element in twiml]


def record_every_prompt(runtime, folder, lang: str = "bm") -> None:
    """A small valid WAV (a tenth of a second of silence) for every prompt of `lang`, letters and digits too."""
    (folder / lang).mkdir(parents=True, exist_ok=True)
    for prompt in Recordings.configured(runtime.settings, runtime.catalogues, runtime.flows).prompts(lang):
        with wave.open(str(folder / lang / f"{prompt.key}.wav"), "wb") as recording:
            recording.setnchannels(1)
            recording.setsampwidth(2)
            recording.setframerate(8000)
            recording.writeframes(b"\x00\x00" * 800)
