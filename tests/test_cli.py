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
