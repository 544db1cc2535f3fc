"""An admin records the voice line's prompts on /admin/voice-prompts: every prompt per language with its words,
its recording to play and an upload; what is not a sound is refused with a reason; other roles get the 403 page."""

from html import unescape

import pytest
import soundfile

from bot.voice_prompts import Recordings
from tests.admin_support import csrf_of, log_in, make_staff
from tests.voice_support import recording

PAGE = "/admin/voice-prompts"


@pytest.fixture(autouse=True)
def folder(reconfigure, tmp_path):
    """Recordings of this test only (autouse: set before the app reads its settings)."""
    reconfigure(VOICE_PROMPTS_DIR=str(tmp_path))
    return tmp_path


@pytest.fixture
def admin(folder, client, runtime):
    make_staff(runtime, "admin@ong.ml", "admin")
    log_in(client, "admin@ong.ml")


def _prompt(runtime, lang: str):
    """The description question: a prompt every language needs."""
    recordings = Recordings.configured(runtime.settings, runtime.catalogues, runtime.flows)
    return next(prompt for prompt in recordings.prompts(lang) if prompt.key.startswith("complaint-description-"))


def _coverage(runtime, lang: str) -> int:
    recordings = Recordings.configured(runtime.settings, runtime.catalogues, runtime.flows)
    return len([p for p in recordings.prompts(lang) if not p.optional]) - len(recordings.missing(lang))


def _upload(client, lang: str, key: str, name: str, data: bytes, kind: str = "audio/wav"):
    csrf = csrf_of(client.get(PAGE).text)
    return client.post(
        f"{PAGE}/{lang}/{key}",
        data={"csrf": csrf},
        files={"recording": (name, data, kind)},
        follow_redirects=False,
    )


def test_the_page_lists_every_prompt_per_language_with_its_words_and_what_is_recorded(client, runtime, admin):
    page = unescape(client.get(PAGE).text)
    prompt = _prompt(runtime, "bm")
    needed = len(
        [
            p
            for p in Recordings.configured(runtime.settings, runtime.catalogues, runtime.flows).prompts("bm")
            if not p.optional
        ]
    )
    assert f"bm : 0 sur {needed} enregistrés ; la ligne vocale propose fr" in page
    assert prompt.key in page and prompt.text in page  # the words to say, in Bambara
    assert 'enctype="multipart/form-data"' in page and 'name="csrf"' in page
    assert '<a href="/admin/voice-prompts">Messages vocaux</a>' in page  # in the Administration menu


def test_an_admin_uploads_a_wav_and_an_ogg_stored_as_mono_16_bit_wav(client, runtime, admin, folder):
    prompt = _prompt(runtime, "bm")
    answer = _upload(client, "bm", prompt.key, "description.wav", recording("WAV"))
    assert answer.status_code == 303
    stored = folder / "bm" / f"{prompt.key}.wav"
    info = soundfile.info(stored)
    assert (info.format, info.subtype, info.channels) == ("WAV", "PCM_16", 1)
    assert _coverage(runtime, "bm") == 1
    page = unescape(client.get(PAGE).text)
    assert f"Enregistrement reçu : {prompt.key} (bm)." in page
    assert f'<audio controls preload="none" src="/voice/prompts/bm/{prompt.key}.wav?v=' in page
    assert client.get(f"/voice/prompts/bm/{prompt.key}.wav").content == stored.read_bytes()

    french = _prompt(runtime, "fr")
    assert _upload(client, "fr", french.key, "description.ogg", recording("OGG"), "audio/ogg").status_code == 303
    assert soundfile.info(folder / "fr" / f"{french.key}.wav").subtype == "PCM_16"  # converted: Twilio plays it
    assert not (folder / "fr" / f"{french.key}.ogg").exists()

    # An MP3 replaces the WAV: one recording per key.
    assert _upload(client, "bm", prompt.key, "again.mp3", recording("MP3"), "audio/mpeg").status_code == 303
    assert [path.name for path in (folder / "bm").iterdir()] == [f"{prompt.key}.mp3"]


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"Ceci est une note, pas un son.\n" * 40, "Ce fichier n'est pas un enregistrement MP3, WAV ou OGG."),
        (recording("WAV", seconds=61, channels=1, samplerate=8000), "Un enregistrement dure 60 secondes au plus"),
    ],
)
def test_what_is_not_a_short_recording_is_refused_with_the_reason(client, runtime, admin, folder, data, says):
    prompt = _prompt(runtime, "bm")
    answer = _upload(client, "bm", prompt.key, "description.mp3", data, "audio/mpeg")
    assert answer.status_code == 400
    assert says in unescape(answer.text)
    assert not (folder / "bm").exists() or not list((folder / "bm").iterdir())
    assert _coverage(runtime, "bm") == 0


def test_an_unknown_prompt_is_refused(client, runtime, admin, folder):
    assert _upload(client, "bm", "..-passwd", "x.wav", recording("WAV")).status_code == 404
    assert _upload(client, "xx", _prompt(runtime, "bm").key, "x.wav", recording("WAV")).status_code == 404
    assert not list(folder.iterdir())


def test_missing_only_hides_what_is_recorded(client, runtime, admin):
    prompt = _prompt(runtime, "bm")
    _upload(client, "bm", prompt.key, "description.wav", recording("WAV"))
    missing = client.get(f"{PAGE}?missing=1").text
    assert f'id="bm-{prompt.key}"' not in missing and f'id="fr-{_prompt(runtime, "fr").key}"' in missing
    assert 'id="bm-char-a"' not in missing  # optional letters are not missing
    assert f'id="bm-{prompt.key}"' in client.get(PAGE).text


@pytest.mark.parametrize("role", ["triage", "protection", "organizer"])
def test_other_roles_get_the_403_page(folder, client, runtime, role):
    make_staff(runtime, f"{role}@ong.ml", role)
    log_in(client, f"{role}@ong.ml")
    assert client.get(PAGE).status_code == 403
    answer = client.post(f"{PAGE}/bm/{_prompt(runtime, 'bm').key}", files={"recording": ("x.wav", b"RIFF")})
    assert answer.status_code == 403
    assert not list(folder.iterdir())
