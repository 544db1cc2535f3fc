"""Personal data at rest is the service user's alone: the database file, its journal, and var/ itself."""

import os
import stat
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from bot.db import make_engine

ROOT = Path(__file__).resolve().parents[1]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_sqlite_database_and_its_journal_are_readable_by_the_service_user_only(tmp_path):
    database = tmp_path / "var" / "baro.sqlite3"
    engine = make_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x TEXT)"))
        connection.execute(text("INSERT INTO t VALUES ('Mon voisin me menace')"))
    journal = Path(f"{database}-wal")
    try:
        assert mode(database.parent) == 0o700
        assert mode(database) == 0o600
        assert journal.exists() and mode(journal) == 0o600
    finally:
        engine.dispose()


def test_an_existing_world_readable_database_is_made_private(tmp_path):
    database = tmp_path / "baro.sqlite3"
    database.touch(mode=0o644)
    database.chmod(0o644)
    make_engine(f"sqlite:///{database}").dispose()
    assert mode(database) == 0o600


def test_every_baro_command_keeps_var_private_and_writes_private_files(tmp_path):
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    var.chmod(0o755)
    env = {
        **os.environ,
        "VAR_DIR": str(var),
        "DATABASE_URL": f"sqlite:///{var / 'baro.sqlite3'}",
        "SECRET_KEY": "k" * 32,
        "TWILIO_AUTH_TOKEN": "t" * 32,
    }
    done = subprocess.run(
        [sys.executable, "-c", "from bot.cli import app; app(prog_name='baro')", "db", "upgrade"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert mode(var) == 0o700
    assert mode(var / "baro.sqlite3") == 0o600
