"""What a native speaker needs to record the voice line's prompts: `baro voice prompts` and the coverage."""

import re

from tests.test_cli import invoke


def test_every_prompt_is_listed_with_its_file_name_and_words_until_recorded(monkeypatch, tmp_path):
    listed = invoke(monkeypatch, "voice", "prompts", "--missing", "--language", "bm", VOICE_PROMPTS_DIR=tmp_path)
    assert listed.exit_code == 0, listed.output
    lines = [line.split("\t") for line in listed.stdout.splitlines() if line.startswith("bm\t")]
    assert all(status == "MISSING" and words for _, _, status, words in lines)
    # A key names the text's flow and state (or its kind), then a hash of its English words.
    assert any(re.fullmatch(r"complaint-description-[0-9a-f]{8}", key) for _, key, _, _ in lines)
    assert any(key.startswith("voice-") for _, key, _, _ in lines)  # what only the voice line says

    (tmp_path / "bm").mkdir()
    for _, name, _, _ in lines:
        (tmp_path / "bm" / f"{name}.mp3").write_bytes(b"ID3")
    left = invoke(monkeypatch, "voice", "prompts", "--missing", "--language", "bm", VOICE_PROMPTS_DIR=tmp_path)
    assert not [line for line in left.stdout.splitlines() if line.startswith("bm\t")]
    check = invoke(monkeypatch, "flows", "check", VOICE_PROMPTS_DIR=tmp_path)
    assert check.exit_code == 0, check.output
    assert f"bm: {len(lines)} of {len(lines)} voice prompts recorded; the voice line offers fr, bm" in check.output
