"""`baro voice import`: a folder of recordings named by key, checked and converted like an upload, with what was
imported, refused and is still missing."""

import soundfile

from tests.test_cli import invoke
from tests.voice_support import recording


def test_a_folder_of_recordings_is_imported_converted_and_what_is_missing_is_listed(monkeypatch, tmp_path):
    stored = tmp_path / "stored"
    listed = invoke(monkeypatch, "voice", "prompts", "--missing", "--language", "bm", VOICE_PROMPTS_DIR=stored)
    keys = [line.split("\t")[1] for line in listed.stdout.splitlines() if line.startswith("bm\t")]
    folder = tmp_path / "from-the-studio"
    folder.mkdir()
    (folder / f"{keys[0]}.ogg").write_bytes(recording("OGG"))
    (folder / f"{keys[1]}.mp3").write_text("not a sound")
    (folder / "not-a-prompt.wav").write_bytes(recording("WAV"))

    result = invoke(monkeypatch, "voice", "import", str(folder), "--language", "bm", VOICE_PROMPTS_DIR=stored)

    assert result.exit_code == 1, result.output  # something was refused
    lines = result.stdout.splitlines()
    assert f"imported\tbm\t{keys[0]}.ogg\t{stored / 'bm' / keys[0]}.wav" in lines
    assert f"refused\tbm\t{keys[1]}.mp3\tThis file is not an MP3, WAV or OGG recording." in lines
    refused = "refused\tbm\tnot-a-prompt.wav\tnot-a-prompt is no voice prompt of bm"
    assert any(line.startswith(refused) for line in lines)
    assert soundfile.info(stored / "bm" / f"{keys[0]}.wav").subtype == "PCM_16"
    missing = [line.split("\t")[2] for line in lines if line.startswith("missing\tbm\t")]
    assert missing == keys[1:]
    assert f"bm: 1 of {len(keys)} voice prompts recorded" in result.output


def test_without_a_language_the_folder_holds_one_folder_per_language(monkeypatch, tmp_path):
    result = invoke(monkeypatch, "voice", "import", str(tmp_path), VOICE_PROMPTS_DIR=tmp_path / "stored")
    assert result.exit_code == 2
    assert "--language" in result.output
