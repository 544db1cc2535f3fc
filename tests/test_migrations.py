"""Alembic migrations: they build exactly the schema the models describe, and can be undone."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from bot.db import alembic_config, upgrade
from bot.models import Base


def test_the_migrations_build_the_models_schema(database_url):
    engine = create_engine(database_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == []


def test_the_migrations_go_down_and_up_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'down.sqlite3'}"
    upgrade(url)
    command.downgrade(alembic_config(url), "base")
    assert inspect(create_engine(url)).get_table_names() == ["alembic_version"]
    upgrade(url)
    assert "feedback" in inspect(create_engine(url)).get_table_names()
