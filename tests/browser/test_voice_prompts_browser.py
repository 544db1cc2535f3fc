"""An admin records a voice prompt in a real browser: picks the file on the page, uploads it, and can play it."""

import pytest

from bot.voice_prompts import Recordings
from tests.admin_support import PASSWORD, make_staff
from tests.browser.conftest import log_in
from tests.voice_support import recording


@pytest.fixture(autouse=True)
def folder(reconfigure, tmp_path):
    """Recordings of this test only (autouse: set before the live server reads its settings)."""
    reconfigure(VOICE_PROMPTS_DIR=str(tmp_path))
    return tmp_path


def test_an_admin_uploads_a_recording_and_then_plays_it(live_server, page, runtime, tmp_path):
    make_staff(runtime, "admin@ong.ml", "admin")
    recordings = Recordings.configured(runtime.settings, runtime.catalogues, runtime.flows)
    key = next(p.key for p in recordings.prompts("bm") if p.key.startswith("complaint-description-"))
    sound = tmp_path / "description.ogg"
    sound.write_bytes(recording("OGG"))

    log_in(page, live_server, "admin@ong.ml", PASSWORD)
    page.goto(f"{live_server}/admin/voice-prompts?missing=1")
    row = page.locator(f'[id="bm-{key}"]')
    assert row.get_by_text("manquant").is_visible()
    row.get_by_label(f"Fichier d'enregistrement pour {key}").set_input_files(str(sound))
    with page.expect_navigation():
        row.get_by_role("button", name=f"Envoyer l'enregistrement de {key}").click()

    assert page.get_by_role("status").inner_text() == f"Enregistrement reçu : {key} (bm)."
    audio = page.locator(f'[id="bm-{key}"] audio')
    audio.evaluate("element => element.load()")
    page.wait_for_function(
        "element => element.readyState >= 1 && element.duration > 0.9", arg=audio.element_handle(), timeout=10_000
    )
    assert audio.evaluate("element => element.error") is None
