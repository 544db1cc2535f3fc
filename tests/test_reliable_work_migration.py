"""Migration 0008 turns `feedback.alerted_at` into protection alert rows, and back.

An alert that went keeps its time; a ready confidential report still open that was never alerted
(its alert was lost, or no numbers were set) gets a pending alert, which the sweep then sends; a
report already dealt with gets none.
"""

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import MetaData, create_engine, insert, inspect, select

from bot.db import alembic_config, upgrade
from bot.models import UTCDateTime

SENT = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
READY = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def test_alerted_at_becomes_alert_rows_and_back(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    upgrade(url, "0007")
    engine = create_engine(url)
    tables = MetaData()
    tables.reflect(engine, only=["contact", "feedback"])
    contact, feedback = tables.tables["contact"], tables.tables["feedback"]
    feedback.c.alerted_at.type = feedback.c.ready_at.type = feedback.c.created_at.type = UTCDateTime()
    with engine.begin() as connection:
        connection.execute(insert(contact).values(id=1, phone_hash="h", created_at=READY, last_seen_at=READY))
        for id_, confidential, status, ready_at, alerted_at in [
            (1, True, "new", READY, SENT),  # alerted
            (2, True, "in_progress", READY, None),  # never alerted, still open
            (3, True, "closed", READY, None),  # never alerted, dealt with
            (4, True, "new", None, None),  # not yet in triage: its intake writes the row
            (5, False, "new", READY, None),  # a complaint
        ]:
            connection.execute(
                insert(feedback).values(
                    id=id_, reference=f"REF{id_}", kind="confidential" if confidential else "complaint",
                    language="fr", channel="sms", status=status, confidential=confidential, contact_id=1,
                    created_at=READY, ready_at=ready_at, alerted_at=alerted_at,
                )
            )
    engine.dispose()

    upgrade(url, "0008")
    engine = create_engine(url)
    assert "alerted_at" not in {column["name"] for column in inspect(engine).get_columns("feedback")}
    alerts = MetaData()
    alerts.reflect(engine, only=["protection_alert"])
    alert = alerts.tables["protection_alert"]
    alert.c.done_at.type = UTCDateTime()
    with engine.connect() as connection:
        rows = connection.execute(select(alert.c.feedback_id, alert.c.done_at).order_by(alert.c.feedback_id)).all()
    assert [tuple(row) for row in rows] == [(1, SENT), (2, None)]
    engine.dispose()

    command.downgrade(alembic_config(url), "0007")
    engine = create_engine(url)
    with engine.connect() as connection:
        alerted = connection.execute(select(feedback.c.id, feedback.c.alerted_at).order_by(feedback.c.id)).all()
    assert [tuple(row) for row in alerted] == [(1, SENT), (2, None), (3, None), (4, None), (5, None)]
    assert "protection_alert" not in inspect(engine).get_table_names()
    engine.dispose()
