"""The `baro` command: flows check, migrations, seeding."""

import shutil

from sqlalchemy import create_engine, inspect
from typer.testing import CliRunner

from bot.cli import app
from bot.config import get_settings

runner = CliRunner()


def invoke(monkeypatch, *args, **env):
    for key, value in env.items():
        monkeypatch.setenv(key, str(value))
    get_settings.cache_clear()
    try:
        return runner.invoke(app, list(args))
    finally:
        get_settings.cache_clear()


def test_flows_check_passes_on_the_shipped_flows(monkeypatch):
    result = invoke(monkeypatch, "flows", "check")
    assert result.exit_code == 0, result.output
    assert "valid in fr, bm" in result.output


def test_flows_check_names_the_file_and_state_of_a_broken_flow(monkeypatch, tmp_path):
    flows = tmp_path / "flows"
    shutil.copytree(get_settings().flows_dir, flows)
    complaint = flows / "complaint.yaml"
    complaint.write_text(complaint.read_text().replace("next: description", "next: descripton"))
    result = invoke(monkeypatch, "flows", "check", FLOWS_DIR=flows)
    assert result.exit_code == 1
    assert "complaint.yaml: state `category`: goes to unknown target `descripton`" in result.output


def test_flows_check_fails_when_a_language_has_no_catalogue_text(monkeypatch, tmp_path):
    flows = tmp_path / "flows"
    shutil.copytree(get_settings().flows_dir, flows)
    need = flows / "need.yaml"
    need.write_text(need.read_text().replace('"What do you need?"', '"What do you need now?"'))
    result = invoke(monkeypatch, "flows", "check", FLOWS_DIR=flows)
    assert result.exit_code == 1
    assert "need.yaml: state `category`: no `fr` text for 'What do you need now?'" in result.output
    assert "no `bm` text" in result.output


def test_db_upgrade_creates_every_table(monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    result = invoke(monkeypatch, "db", "upgrade", DATABASE_URL=url)
    assert result.exit_code == 0, result.output
    tables = set(inspect(create_engine(url)).get_table_names())
    assert {"contact", "message", "feedback", "site", "assembly", "staff_user", "alembic_version"} <= tables


def test_seed_prints_the_admin_password_once(monkeypatch, runtime):
    first = invoke(monkeypatch, "seed")
    second = invoke(monkeypatch, "seed")
    assert first.exit_code == second.exit_code == 0
    assert "admin@baro.local  password: " in first.output
    assert "password" not in second.output


def test_flows_report_prints_every_screen_and_the_totals_per_language(monkeypatch):
    from bot.engine.flow import load_flows
    from bot.flows import REGISTRY

    result = invoke(monkeypatch, "flows", "report")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "welcome.consent" in result.output and "SMS alphabet: unicode" in result.output
    totals = lines[lines.index("Totals per language (characters as written)") + 1 :]
    assert totals[0].split() == [
        "language", "screens", "characters", "parts", "(unicode)", "parts", "(gsm)", "parts", "(auto)"
    ]
    states = [s for f in load_flows(get_settings().flows_dir, REGISTRY).flows.values() for s in f.states.values()]
    per_language = str(sum(not s.all_languages for s in states))
    for lang in ("fr", "bm"):
        [row] = [line.split() for line in totals if line.split()[:1] == [lang]]
        assert row[1] == per_language
        assert all(cell.isdigit() and int(cell) > 0 for cell in row[1:]) and len(row) == 6


def test_flows_check_counts_sms_parts_under_the_configured_alphabet(monkeypatch, tmp_path):
    flows = tmp_path / "flows"
    shutil.copytree(get_settings().flows_dir, flows)
    need = flows / "need.yaml"
    # Not translated, so read as written in both languages: 204 characters, UCS-2 until folded; on the screen,
    # its way back ("0 Menu", "0 Segin") makes it 211 and 212.
    long_prompt = "Tell us more in a few words. " + "Kɛnɛya, sɔrɔ, dumuni. " * 8
    need.write_text(need.read_text().replace('"Tell us more in a few words."', f'"{long_prompt.strip()}"'))

    default = invoke(monkeypatch, "flows", "check", FLOWS_DIR=flows)  # `auto`: folded, it is 2 GSM-7 parts
    unicode = invoke(monkeypatch, "flows", "check", FLOWS_DIR=flows, SMS_ALPHABET="unicode")
    gsm = invoke(monkeypatch, "flows", "check", FLOWS_DIR=flows, SMS_ALPHABET="gsm")

    assert unicode.exit_code == gsm.exit_code == default.exit_code == 1
    for lang, length in (("fr", 211), ("bm", 212)):
        ussd = f"need.yaml: state `description`: the `{lang}` screen is {length} characters, over the 182 of a USSD"
        parts = f"need.yaml: state `description`: the `{lang}` screen needs 4 SMS parts (UCS-2), over 2"
        assert ussd in unicode.output and ussd in gsm.output  # a USSD screen counts characters as written
        assert parts in unicode.output
        assert parts not in gsm.output and parts not in default.output and ussd in default.output


def test_flows_check_fails_on_a_conversation_over_its_budget(monkeypatch):
    result = invoke(monkeypatch, "flows", "check", CONVERSATION_BUDGETS='{"returning_complaint": 2}')
    assert result.exit_code == 1
    for lang in ("fr", "bm"):
        assert f"conversation `returning_complaint` ({lang}) costs " in result.output
        assert "SMS parts (auto), over its budget of 2" in result.output


def test_flows_report_prints_each_whole_conversation_under_each_alphabet(monkeypatch):
    result = invoke(monkeypatch, "flows", "report", "--turns")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines.count("conversation               messages  unicode  gsm  auto  budget") == 2  # fr, bm
    assert [line.split()[0] for line in lines if line.startswith("first_complaint ")] == ["first_complaint"] * 2
    assert "  first complaint (new person), in fr" in lines  # reply by reply
    assert any(line.startswith("asked again: main.menu ") for line in lines)
