"""Migration 0012 dates each remembered site from when the person chose it, never later.

Before 0012 a site was asked once, just before the person's first report, and never again: their first
report at that site is when they last told us, else (a site given only to sign up for an assembly) the
day they first wrote, which is earlier still. A later date would claim a confirmation nobody gave.
"""

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import MetaData, create_engine, insert, inspect, select

from bot.db import alembic_config, upgrade
from bot.models import UTCDateTime

FIRST_WROTE = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
FIRST_REPORT = datetime(2026, 9, 2, 8, 0, tzinfo=UTC)
LATER_REPORT = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
LAST_SEEN = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def test_a_remembered_site_is_dated_from_the_first_report_at_it_else_from_the_first_message(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    upgrade(url, "0011")
    engine = create_engine(url)
    tables = MetaData()
    tables.reflect(engine, only=["site", "contact", "feedback"])
    site, contact, feedback = (tables.tables[name] for name in ("site", "contact", "feedback"))
    for column in (contact.c.created_at, contact.c.last_seen_at, feedback.c.created_at):
        column.type = UTCDateTime()
    with engine.begin() as connection:
        for id_, slug in ((1, "niamana"), (2, "senou")):
            connection.execute(
                insert(site).values(id=id_, slug=slug, name=slug, region="Bamako", position=id_, active=True)
            )
        for id_, site_id in ((1, 1), (2, 2), (3, None)):  # reports; signed up for an assembly only; no site
            connection.execute(
                insert(contact).values(
                    id=id_, phone_hash=f"h{id_}", site_id=site_id, created_at=FIRST_WROTE, last_seen_at=LAST_SEEN
                )
            )
        for id_, at in ((1, FIRST_REPORT), (2, LATER_REPORT)):
            connection.execute(
                insert(feedback).values(
                    id=id_,
                    reference=f"REF00{id_}",
                    kind="complaint",
                    language="fr",
                    channel="sms",
                    status="new",
                    confidential=False,
                    contact_id=1,
                    site_id=1,
                    created_at=at,
                )
            )
    engine.dispose()

    upgrade(url, "0012")
    engine = create_engine(url)
    tables = MetaData()
    tables.reflect(engine, only=["contact"])
    contact = tables.tables["contact"]
    contact.c.site_confirmed_at.type = UTCDateTime()
    with engine.connect() as connection:
        confirmed = dict(connection.execute(select(contact.c.id, contact.c.site_confirmed_at)).all())
    assert confirmed == {1: FIRST_REPORT, 2: FIRST_WROTE, 3: None}
    engine.dispose()

    command.downgrade(alembic_config(url), "0011")
    columns = {column["name"] for column in inspect(create_engine(url)).get_columns("contact")}
    assert "site_confirmed_at" not in columns and "site_id" in columns
