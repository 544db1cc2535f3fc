"""Alembic migrations: they build exactly the schema the models describe, and can be undone."""

from datetime import UTC, datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from bot.cases.sealed import unseal
from bot.config import get_settings
from bot.db import alembic_config, in_models, upgrade
from bot.models import Base
from bot.vault import Vault

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC).isoformat()


def test_the_migrations_build_the_models_schema(database_url):
    engine = create_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": in_models})
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == []


def test_the_migrations_go_down_and_up_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'down.sqlite3'}"
    upgrade(url)
    command.downgrade(alembic_config(url), "base")
    assert inspect(create_engine(url)).get_table_names() == ["alembic_version"]
    upgrade(url)
    assert "feedback" in inspect(create_engine(url)).get_table_names()


def test_what_staff_wrote_about_a_confidential_report_before_0009_is_sealed_by_it(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'sealed.sqlite3'}"
    upgrade(url, "0008")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO contact (id, phone_hash, created_at, last_seen_at) VALUES (1, 'h', :t, :t)"), {"t": NOW}
        )
        connection.execute(
            text(
                "INSERT INTO staff_user (id, email, role, password_hash, created_at)"
                " VALUES (1, 'p@o', 'protection', 'x', :t)"
            ),
            {"t": NOW},
        )
        for feedback_id, confidential in ((1, True), (2, False)):
            connection.execute(
                text(
                    "INSERT INTO feedback (id, reference, kind, language, channel, status, confidential, contact_id,"
                    " created_at, tags, outcome) VALUES (:id, :ref, 'complaint', 'fr', 'sms', 'resolved', :c, 1, :t,"
                    " :tags, 'Orientée vers la clinique')"
                ),
                {"id": feedback_id, "ref": f"REF00{feedback_id}", "c": confidential, "t": NOW, "tags": '["urgence"]'},
            )
            connection.execute(
                text("INSERT INTO case_note (feedback_id, author_id, text, created_at) VALUES (:f, 1, 'Appelée', :t)"),
                {"f": feedback_id, "t": NOW},
            )
            connection.execute(
                text(
                    "INSERT INTO case_event (feedback_id, actor_id, action, detail, created_at)"
                    " VALUES (:f, 1, 'status_changed', :d, :t)"
                ),
                {"f": feedback_id, "d": '{"outcome": "Orientée vers la clinique"}', "t": NOW},
            )
    monkeypatch.setenv("SECRET_KEY", "a key for this test only")
    get_settings.cache_clear()
    try:
        upgrade(url)
    finally:
        get_settings.cache_clear()

    vault = Vault("a key for this test only")
    with engine.connect() as connection:
        feedback = "SELECT tags, outcome, tags_encrypted, outcome_encrypted FROM feedback WHERE id = :id"
        secret, clear = (connection.execute(text(feedback), {"id": n}).one() for n in (1, 2))
        notes = "SELECT feedback_id, coalesce(text, text_encrypted) FROM case_note"
        notes = dict(connection.execute(text(notes)).all())
        details = "SELECT feedback_id, coalesce(detail, detail_encrypted) FROM case_event"
        details = dict(connection.execute(text(details)).all())
    engine.dispose()
    assert (secret[0], secret[1]) == (None, None)
    assert unseal(vault, None, secret[2]) == ["urgence"]
    assert unseal(vault, None, secret[3]) == "Orientée vers la clinique"
    assert unseal(vault, None, notes[1]) == "Appelée"
    assert unseal(vault, None, details[1]) == {"outcome": "Orientée vers la clinique"}
    assert (clear[1], clear[2], notes[2]) == ("Orientée vers la clinique", None, "Appelée")  # a complaint's: in clear
    assert "clinique" in details[2]
