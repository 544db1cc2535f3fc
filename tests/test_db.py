"""The database helpers: SQLite's planner is kept informed of the data by a periodic job."""

from sqlalchemy import text

from bot.db import refresh_statistics
from tests.admin_support import submit_complaint
from workers.periodic import PERIODIC


def test_the_periodic_job_gives_sqlite_statistics_on_the_inbox_indexes(runtime, phone):
    assert "refresh_database_statistics" in [periodic.job.__name__ for periodic in PERIODIC]
    submit_complaint(phone, "Les latrines débordent")
    engine = runtime.engine
    if engine.dialect.name != "sqlite":
        assert refresh_statistics(engine) is False  # PostgreSQL's autovacuum keeps its own
        return
    assert refresh_statistics(engine) is True
    with engine.connect() as connection:
        described = set(connection.execute(text("SELECT idx FROM sqlite_stat1 WHERE tbl = 'feedback'")).scalars())
    assert {"ix_feedback_due", "ix_feedback_inbox", "ix_feedback_newest"} <= described
