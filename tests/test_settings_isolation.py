"""The suite reads none of the developer's files (issue 9).

A newcomer runs `make run` (which leaves generated settings in `var/local.env`, SMS_PROVIDER=console among
them), then `make test`: 29 tests failed because the suite read that file. This runs the suite's own
conftest, for real, in a copy of the project whose `var/local.env` and `.env` are poisoned, and checks that
no setting of the test process, of a bare `Settings()`, or of a subprocess (as RQ workers and the CLI are)
comes from them.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from bot.config import ROOT

POISON_LOCAL_ENV = """\
# as `make run` leaves it, plus marked values
SMS_PROVIDER=console
USSD_TOKEN=poisoned-by-var-local-env
SECRET_KEY=poisoned-by-var-local-env
DATABASE_URL=sqlite:////nonexistent/poisoned-by-var-local-env.sqlite3
"""

POISON_DOTENV = """\
LANGUAGES=fr
GATEWAY_SECRET=poisoned-by-dotenv
TWILIO_AUTH_TOKEN=poisoned-by-dotenv
REDIS_URL=redis://poisoned-by-dotenv:1/0
"""

# Runs inside the copy, under the copy's conftest.
INNER_TESTS = '''
import json
import os
import subprocess
import sys
from pathlib import Path

import bot.config
from bot.config import Settings

PROJECT = Path(__file__).resolve().parents[1]


def assert_clean(dump: dict) -> None:
    assert "poisoned" not in json.dumps(dump, default=str)
    assert dump["sms_provider"] == "twilio" and dump["languages"] == ["fr", "bm"]


def test_this_is_the_copy():
    assert bot.config.ROOT == PROJECT  # else the poisoned files below would prove nothing


def test_the_settings_fixture(settings):
    assert_clean(settings.model_dump(mode="json"))


def test_a_bare_settings_object():
    assert_clean(Settings().model_dump(mode="json"))


def test_a_subprocess_as_workers_and_the_cli_start():
    script = "import json; from bot.config import get_settings; print(get_settings().model_dump_json())"
    done = subprocess.run([sys.executable, "-c", script], cwd=PROJECT, env=dict(os.environ),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert_clean(json.loads(done.stdout))
'''


def copy_project(target: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("bot", "workers", "flows", "locales", "tests"):  # tests/: the conftest and what it imports
        shutil.copytree(ROOT / name, target / name, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", target)


def test_the_suite_ignores_var_local_env_and_dotenv_of_the_checkout(tmp_path):
    project = tmp_path / "project"
    copy_project(project)
    (project / "var").mkdir()
    (project / "var" / "local.env").write_text(POISON_LOCAL_ENV)
    (project / ".env").write_text(POISON_DOTENV)
    (project / "tests" / "test_poisoned.py").write_text(INNER_TESTS)

    # As a developer's shell runs it: none of this session's isolation is passed on.
    env = {key: value for key, value in os.environ.items() if key not in ("VAR_DIR", "ENV_FILE")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_poisoned.py"],
        cwd=project, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "4 passed" in done.stdout
