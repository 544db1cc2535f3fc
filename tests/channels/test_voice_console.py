"""`baro simulate --voice`: a newcomer tries the voice line from a terminal, through the real signed webhook.

Prompts are shown as the texts they stand for and the recording each would play (or "(French voice)"), keys
are typed at menus, and at a spoken question the words typed are shown but not sent: no recording can be made
without Twilio.
"""

import os
import subprocess

from sqlalchemy import select

from bot.config import ROOT
from bot.models import Attachment, Feedback
from bot.voice_console import VoiceConsole
from bot.voice_prompts import PRESS, Recordings
from tests.channels.voice_caller import record_every_prompt
from tests.real_processes import BARO, free_port, healthy, start_baro, stop, wait_for

PHONE = "+22370000061"


def call(client, runtime, *typed: str) -> list[str]:
    """What the terminal shows for a call in which the person types `typed`, one line each."""
    shown, answers = [], iter(typed)
    recordings = Recordings.configured(runtime.settings, runtime.catalogues, runtime.flows)
    VoiceConsole(client, runtime.settings, recordings, PHONE, lambda _: next(answers, None), shown.append).run()
    return shown


def test_keys_typed_in_the_terminal_walk_the_menus_and_words_typed_are_honestly_not_sent(twilio, client, runtime):
    shown = call(client, runtime, "1", "1", "1", "3", "2", "The latrines are broken.", "0", "5")

    assert "Only Twilio makes" in shown[0]  # the help says what cannot be done without Twilio
    assert 'baro> "Bienvenue sur baro. Votre langue : Appuyez sur 1 pour Français"  (French voice)' in shown
    asked = 'baro> "Décrivez le problème en quelques mots. Appuyez sur 0 pour Menu Parlez après le bip'
    (question,) = [index for index, line in enumerate(shown) if line.startswith(asked)]
    assert shown[question + 1] == "baro> *beep* (speak, then press #)"
    # No recording without Twilio: baro hears nothing said, asks again, and 0 is the way out to the menu.
    assert "(not sent: no recording without Twilio; # pressed)" in shown
    assert any(line.startswith('baro> "Écrivez votre message en mots, svp.') for line in shown)
    assert any("Vous n'avez pas encore de référence." in line for line in shown)  # 5 at the menu
    assert shown[-1] == "You hang up."
    with runtime.database() as db:
        assert db.scalars(select(Feedback)).all() == [] and db.scalars(select(Attachment)).all() == []


def test_a_recorded_prompt_is_shown_as_its_text_and_its_file(twilio, prompts_dir, client, runtime):
    record_every_prompt(runtime, prompts_dir)

    shown = call(client, runtime, "2", "")

    assert str(prompts_dir) in shown[1]
    bambara = [line for line in shown if "[bm/" in line]
    assert bambara and all(line.startswith('baro> "') and line.endswith(".wav]") for line in bambara)
    # Each recording shown as the words it says: "Press 1 for ...", in Bambara.
    press = runtime.catalogues.text("bm", PRESS).split("{")[0].strip()
    assert any(line.startswith(f'baro> "{press}') and "bm/char-1.wav" in line for line in bambara), bambara
    assert shown[-1] == "You hang up."


def test_a_missed_call_is_called_back_and_answered_in_the_terminal(callback, client, runtime):
    shown = call(client, runtime, "")

    assert "baro rejects the call as busy (free for you) and calls you back. You answer:" in shown
    assert 'baro> "Bienvenue sur baro. Votre langue : Appuyez sur 1 pour Français"  (French voice)' in shown


def test_baro_simulate_voice_calls_a_running_server_from_the_terminal(settings, environment, tmp_path):
    port = free_port()
    env = {**os.environ, **environment, "PORT": str(port), "PUBLIC_URL": f"http://127.0.0.1:{port}"}
    web = start_baro("web", env=env, log=tmp_path / "web.log")
    try:
        wait_for(lambda: healthy(f"http://127.0.0.1:{port}/healthz"), 60, "the web server")
        simulate = subprocess.run(
            [BARO, "simulate", "--voice", "--phone", PHONE],
            input="1\n1\n5\n\n",
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        stop(web)
    assert simulate.returncode == 0, simulate.stderr
    assert 'baro> "Bienvenue sur baro. Votre langue : Appuyez sur 1 pour Français"  (French voice)' in simulate.stdout
    assert "Vous n'avez pas encore de référence." in simulate.stdout
    assert simulate.stdout.rstrip().endswith("You hang up.")
