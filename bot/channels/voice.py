"""Twilio Voice: the same flows by telephone, for people who cannot read. Menus on the keypad, words recorded.

`POST /webhooks/twilio/voice` is the number's Voice URL; it and the action routes are signed like messaging.
A call runs the conversation afresh, like a new USSD session. Each answer is TwiML: a menu is a `<Gather>` of
key presses (the numbers of SMS: posters stay true) speaking the prompt and "press 1 for ..."; a free-text
question is a `<Record>` of at most two minutes after a beep, ended by `#`, its recording handed to the
conversation as the answer (bot.media fetches it); an end screen is spoken and the call hangs up. No key and
no words: the question once more, then goodbye. What is said is a recording where there is one
(bot.voice_prompts), else Twilio's French voice; the language menu offers only the languages fully recorded.

Each action URL carries the call's step (`?step=3`), signed with it, so a request Twilio sends again has the
same provider id (`CallSid:step`, or the RecordingSid) and gets the very same TwiML, stored once. With
VOICE_CALLBACK the incoming call is rejected as busy, which costs the caller nothing, and a worker calls the
person back (`call_back`): people in Mali "flash" a number to be called back. That call runs the flow.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse
from pydantic import Field, ValidationInfo, field_validator, model_validator
from starlette.responses import PlainTextResponse, Response
from twilio.twiml.voice_response import VoiceResponse

from bot.channels.base import ChannelAdapter, Exchange, ProviderForm, ProviderRequest, Route, stripped
from bot.channels.twilio import TwilioMessaging, make_client
from bot.config import Settings
from bot.conversation.conversations import Handled
from bot.conversation.inbound import InboundMedia, InboundMessage
from bot.conversation.state import StateStore, position_key
from bot.db import transaction
from bot.engine.flow import State, Text
from bot.engine.interpreter import Reply
from bot.engine.texts import MENU_KEYWORDS, OPTED_OUT
from bot.handover import LANE_QUEUES
from bot.i18n import Answer, Catalogues, Filled
from bot.vocabulary import Channel, Lane
from bot.voice_prompts import (
    EXTENSIONS,
    FALLBACK,
    FALLBACK_VOICE,
    GOODBYE,
    NAME,
    NO_REFERENCE,
    PRESS,
    WHEN_DONE,
    YOUR_REFERENCE,
    Recordings,
    char_key,
    parts,
)

VOICE = "/webhooks/twilio/voice"
GATHER = f"{VOICE}/gather"
RECORD = f"{VOICE}/record"
PROMPTS = "/voice/prompts"
MAX_RECORD_SECONDS = 120
GATHER_SECONDS = 8  # to find a key after the last option is said
SILENCE_SECONDS = 10  # of silence that ends a recording
CALLBACK_SECONDS = 3600  # a missed call is called back within this, or not at all
# A recording's format as Twilio gives it at RecordingUrl (WAV unless the URL asks for mp3).
RECORDING_TYPE = "audio/x-wav"
# Actions whose text answer must be typed (a reference: letters a keypad cannot spell, a recording cannot give).
TYPED_ANSWERS = frozenset({"lookup_reference"})


class VoiceForm(ProviderForm):
    """A request of Twilio's about a call: the call itself, a key pressed, or a recording made."""

    CallSid: str = Field(min_length=1, max_length=64)
    From: str = ""
    To: str = ""
    Direction: str = "inbound"
    Digits: str = ""
    RecordingSid: str = Field(default="", max_length=64)
    RecordingUrl: str = ""
    RecordingDuration: int = 0
    step: int = Field(default=0, ge=0, le=10_000)  # from the signed action URL's query, not from the form

    _strip = field_validator("CallSid", "From", "To", "Digits", "RecordingSid", mode="before")(stripped)

    @model_validator(mode="before")
    @classmethod
    def _step(cls, form: Any, info: ValidationInfo) -> Any:
        step = ((info.context or {}).get("query") or {}).get("step")
        return {**form, "step": step} if isinstance(form, Mapping) and step is not None else form

    @field_validator("RecordingDuration", mode="before")
    @classmethod
    def _duration(cls, value: object) -> object:
        return value or 0

    @property
    def person(self) -> str:
        """Whose call it is: the caller, or the person we called back (Twilio's `To` then)."""
        return self.To if self.Direction.startswith("outbound") else self.From


@dataclass(frozen=True)
class Sound:
    """One thing said: a recording played, or words for Twilio's French voice."""

    play: str | None = None
    say: str | None = None


class Speech:
    """How an answer sounds: each text's recording in its language, Twilio's French voice where there is none."""

    def __init__(self, recordings: Recordings, catalogues: Catalogues, public_url: str):
        self.recordings = recordings
        self.catalogues = catalogues
        self.public_url = public_url

    def recorded(self, lang: str, name: str, words: str) -> Sound:
        path = self.recordings.file(lang, name)
        return Sound(play=f"{self.public_url}{PROMPTS}/{lang}/{path.name}") if path else Sound(say=words)

    def text(self, lang: str, text: Text | str, params: Mapping[str, Any]) -> list[Sound]:
        """A text with its values; data that is no text of ours (a site's name) in the French voice."""
        if isinstance(text, str):
            return [Sound(say=text)]
        lang = text.lang or lang
        sounds = []
        for name, words, field in parts(text, self.catalogues.text(lang, text)):
            if name:
                sounds.append(self.recorded(lang, name, words))
            if field and params.get(field) is not None:
                sounds += self.value(lang, field, params[field])
        return sounds

    def value(self, lang: str, name: str, value: Any) -> list[Sound]:
        if isinstance(value, Text):
            return self.text(lang, value, {})
        if isinstance(value, Filled):
            return self.text(lang, value.text, value.params)
        if name == "key" or name.endswith("reference"):  # a key to press, a reference to write down: spelt
            return [self.recorded(lang, char_key(character), character) for character in str(value)]
        return [Sound(say=self.catalogues.format(value, FALLBACK))]

    def reply(self, reply: Reply, lang: str, values: Mapping[str, Any], voiced: Sequence[str]) -> list[Sound]:
        """A reply's hint and prompt (in every language offered, for a language menu), without its options."""
        params = {**reply.params, **values}
        languages = voiced if reply.all_languages else (lang,)
        sounds = [sound for language in languages if reply.hint for sound in self.text(language, reply.hint, {})]
        return sounds + [sound for language in languages for sound in self.text(language, reply.prompt, params)]

    def options(self, reply: Reply, lang: str, voiced: Sequence[str]) -> tuple[list[Sound], list[str]]:
        """ "Press 1 for ..." for each option, each language named in itself; and the keys offered.

        A language not fully recorded is not offered: its prompts could not be said."""
        sounds, keys = [], []
        for key, label, params in reply.options:
            language = label.lang if isinstance(label, Text) and label.lang else lang
            if language not in voiced:
                continue
            keys.append(key)
            named = Filled(label, params) if isinstance(label, Text) else label
            sounds += self.text(language, PRESS, {"key": key, "label": named})
        return sounds, keys


def spoken(state: State) -> bool:
    """A question answered in words: recorded, its options ("0 Menu") keys that end the recording instead."""
    return state.text_input and not state.choose and not state.min_words


def say(target: Any, sounds: list[Sound]) -> None:
    """Add the sounds to a TwiML response or a `<Gather>`."""
    for sound in sounds:
        if sound.play:
            target.play(sound.play)
        elif sound.say and sound.say.strip():
            target.say(sound.say, language=FALLBACK_VOICE)


@dataclass
class Question:
    """The TwiML of one answer, and the keys it offers (a key not offered is no answer)."""

    twiml: str
    keys: list[str]


class TwilioVoice(ChannelAdapter):
    name = "twilio-voice"

    def routes(self) -> tuple[Route, ...]:
        return (
            Route(VOICE, VoiceForm, self.call, "Twilio Voice: a call (the number's Voice URL)"),
            Route(GATHER, VoiceForm, self.pressed, "Twilio Voice: a key pressed at a menu"),
            Route(RECORD, VoiceForm, self.recorded, "Twilio Voice: an answer recorded"),
        )

    def verify(self, request: ProviderRequest, settings: Settings) -> None:
        TwilioMessaging().verify(request, settings)  # the same signature, over the URL with its `?step=`

    def call(self, form: VoiceForm, exchange: Exchange) -> Response:
        if exchange.settings.voice_callback and form.Direction == "inbound":
            return self._call_back_later(form, exchange)
        return self._turn(form, exchange, "", f"{form.CallSid}:0", fresh=True)

    def pressed(self, form: VoiceForm, exchange: Exchange) -> Response:
        keys = (self._call(exchange, form) or {}).get("keys", [])
        # A key not offered (a language not recorded yet) is no answer: the question is asked again.
        return self._turn(form, exchange, form.Digits if form.Digits in keys else "", f"{form.CallSid}:{form.step}")

    def recorded(self, form: VoiceForm, exchange: Exchange) -> Response:
        keys = (self._call(exchange, form) or {}).get("keys", [])
        provider_id = form.RecordingSid or f"{form.CallSid}:{form.step}"
        if form.Digits in keys:  # a way out pressed instead of speaking ("0 Menu")
            return self._turn(form, exchange, form.Digits, provider_id)
        media = (InboundMedia(form.RecordingUrl, RECORDING_TYPE, form.RecordingDuration),) if form.RecordingUrl else ()
        return self._turn(form, exchange, "", provider_id, media=media)

    @staticmethod
    def _store(exchange: Exchange) -> StateStore:
        return exchange.store(exchange.settings.session_ttl_seconds)

    def _call(self, exchange: Exchange, form: VoiceForm) -> dict | None:
        """What we keep of a call between its requests: the last request answered, its TwiML, the keys offered."""
        return self._store(exchange).load(exchange.db, f"baro:voice:{form.CallSid}")

    def _turn(
        self,
        form: VoiceForm,
        exchange: Exchange,
        text: str,
        provider_id: str,
        fresh: bool = False,
        media: tuple[InboundMedia, ...] = (),
    ) -> Response:
        call = self._call(exchange, form) or {}
        if call.get("provider_id") == provider_id:
            return twiml(call["twiml"])  # Twilio sent the request again: the same answer
        inbound = InboundMessage(Channel.VOICE, form.person, text, provider_id, media)
        handled = self._converse(exchange, inbound, fresh)
        question = self._answer(exchange, form, inbound, handled)
        call = {"provider_id": provider_id, "twiml": question.twiml, "keys": question.keys}
        self._store(exchange).save(exchange.db, f"baro:voice:{form.CallSid}", call)
        return twiml(question.twiml)

    @staticmethod
    def _converse(exchange: Exchange, inbound: InboundMessage, fresh: bool = False) -> Handled:
        # A call closes like a USSD session: no "0 Menu" under its last words. The words said are stored.
        return exchange.converse(
            inbound, fresh=fresh, write=lambda answer: exchange.write(answer.closing(), Channel.VOICE)
        )

    def _answer(self, exchange: Exchange, form: VoiceForm, inbound: InboundMessage, handled: Handled) -> Question:
        recordings = Recordings.configured(exchange.settings, exchange.catalogues, exchange.conversations.flows)
        speech = Speech(recordings, exchange.catalogues, exchange.settings.public_url)
        voiced = recordings.voiced()
        lang = handled.language if handled.language in voiced else FALLBACK
        response = VoiceResponse()
        if handled.answer is None:  # the words already said to this request, or an opted-out number (told how to
            # come back, as on USSD)
            say(response, [Sound(say=handled.reply)] if handled.reply else speech.text(lang, OPTED_OUT, {}))
            response.hangup()
            return Question(str(response), [])
        state = self._question(exchange, handled)
        first: list[Sound] = []
        if state is not None and spoken(state) and any(a.name in TYPED_ANSWERS for a in state.actions):
            # A reference cannot be typed on a keypad: said so, and the question's way out is taken (the menu).
            way_out = next((option.key for option in state.options if option.next), MENU_KEYWORDS.msgid)
            inbound = replace(inbound, text=way_out, provider_id=f"{inbound.provider_id}:out", media=())
            handled = self._converse(exchange, inbound)
            first, state = speech.text(lang, NO_REFERENCE, {}), self._question(exchange, handled)
        answer = replace(handled.answer.closing(), language=lang)
        *before, last = answer.replies
        said = first + [sound for reply in before for sound in speech.reply(reply, lang, answer.values, voiced)]
        asked = speech.reply(last, lang, answer.values, voiced)
        step = form.step + 1
        if state is None:
            return Question(self._end(exchange, handled, answer, speech, said + asked), [])
        options, keys = speech.options(last, lang, voiced)
        if spoken(state):
            when_done = speech.text(lang, WHEN_DONE, {})
            for sounds in (said + asked + options + when_done, asked + options + when_done):
                say(response, sounds)
                response.record(
                    action=f"{exchange.settings.public_url}{RECORD}?step={step}",
                    method="POST",
                    max_length=MAX_RECORD_SECONDS,
                    play_beep=True,
                    finish_on_key="#" + "".join(key for key in keys if len(key) == 1),
                    timeout=SILENCE_SECONDS,
                )
        else:
            for sounds in (said + asked + options, asked + options):
                gather = response.gather(
                    input="dtmf",
                    num_digits=max((len(key) for key in keys), default=1),
                    action=f"{exchange.settings.public_url}{GATHER}?step={step}",
                    method="POST",
                    timeout=GATHER_SECONDS,
                )
                say(gather, sounds)
        say(response, speech.text(lang, GOODBYE, {}))
        response.hangup()
        return Question(str(response), keys)

    @staticmethod
    def _question(exchange: Exchange, handled: Handled) -> State | None:
        """The question the conversation now waits on, if any."""
        if not handled.waiting or handled.contact_id is None:
            return None
        conversations = exchange.conversations
        position = conversations.store.load(exchange.db, position_key(Channel.VOICE, handled.contact_id))
        if not position or not conversations.flows.has(position.get("flow"), position.get("state")):
            return None
        return conversations.flows.state(position["flow"], position["state"])

    @staticmethod
    def _end(exchange: Exchange, handled: Handled, answer: Answer, speech: Speech, sounds: list[Sound]) -> str:
        """The last words, the reference said once more, and the call hangs up; the reference also by SMS."""
        reference = answer.values.get("reference")
        if handled.feedback_ids and reference:
            sounds = sounds + speech.text(answer.language, YOUR_REFERENCE, {"reference": reference})
            # Words said are gone once the call ends: the person keeps the reference by SMS. Never for a
            # confidential report: an SMS would stay in the inbox of a phone that others may read.
            if not handled.confidential and exchange.can_send(Channel.SMS) and handled.answer is not None:
                text = exchange.write(handled.answer.closing(), Channel.SMS)
                exchange.send_later(handled.contact_id, Channel.SMS, text)
        response = VoiceResponse()
        say(response, sounds)
        response.hangup()
        return str(response)

    @staticmethod
    def _call_back_later(form: VoiceForm, exchange: Exchange) -> Response:
        """A missed call: rejected as busy (free for the caller), and called back by a worker once per CallSid."""
        store = exchange.store(CALLBACK_SECONDS)
        key = f"baro:voice-callback:{form.CallSid}"
        if store.load(exchange.db, key) is None:
            store.save(exchange.db, key, {"to": form.From, "called": None})
            job = (LANE_QUEUES[Lane.REPLY], "workers.jobs.call_back", form.CallSid, f"callback-{form.CallSid}")
            exchange.after.jobs.append(job)
        response = VoiceResponse()
        response.reject(reason="busy")
        return twiml(str(response))


def twiml(document: str) -> Response:
    return Response(document, media_type="application/xml")


def call_back(runtime, call_sid: str) -> str:
    """Call back the person of a missed call, at most once; the new call's Twilio SID."""
    settings = runtime.settings
    key = f"baro:voice-callback:{call_sid}"
    store = StateStore(runtime.vault, CALLBACK_SECONDS)
    with transaction(runtime.database) as db:
        missed = store.load(db, key)
        if missed is None or missed["called"]:
            return (missed or {}).get("called") or "nothing to call back"
        client = make_client(settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_api_url)
        created = client.calls.create(
            to=missed["to"],
            from_=settings.twilio_voice_from or settings.twilio_sms_from,
            url=f"{settings.public_url}{VOICE}",
        )
        store.save(db, key, {**missed, "called": created.sid})
    return created.sid


router = APIRouter(tags=["providers"])


@router.get(PROMPTS + "/{lang}/{name}", include_in_schema=False)
def prompt_recording(lang: str, name: str, request: Request) -> Response:
    """A prompt recording, for Twilio's `<Play>`: nothing personal, so no signature."""
    runtime = request.app.state.runtime
    if lang not in runtime.settings.languages or not NAME.match(name):
        return PlainTextResponse("no such recording", status_code=404)
    recordings = Recordings.configured(runtime.settings, runtime.catalogues, runtime.flows)
    path = recordings.file(lang, name.rsplit(".", 1)[0])
    if path is None or path.name != name:
        return PlainTextResponse("no such recording", status_code=404)
    return FileResponse(path, media_type=EXTENSIONS[path.suffix[1:]])
