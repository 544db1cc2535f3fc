"""The fault suite's deployment: real processes on the session's database, a private Redis, the Twilio double."""

import os

import pytest

from tests.faults.deployment import Deployment


@pytest.fixture
def processes_database_url(database_url) -> str:
    """Where the deployment's processes find the database: the session's, unless a test puts a relay between."""
    return database_url


@pytest.fixture
def deployment(clean_state, twilio, reconfigure, processes_database_url, tmp_path):
    """Started before the test's `runtime`, which then hands its work to the deployment's Redis."""
    running = Deployment(tmp_path, dict(os.environ), processes_database_url)
    reconfigure(REDIS_URL=running.env["REDIS_URL"], PROTECTION_ALERT_NUMBERS=running.env["PROTECTION_ALERT_NUMBERS"])
    try:
        yield running.start()
    except BaseException:
        print(running.logs())
        raise
    finally:
        running.stop()
