"""Alembic environment: runs migrations against the URL the CLI configured."""

from alembic import context
from sqlalchemy import create_engine, pool

from bot.db import in_models
from bot.models import Base

config = context.config


def run_migrations() -> None:
    url = config.get_main_option("sqlalchemy.url")
    connectable = create_engine(url, poolclass=pool.NullPool, hide_parameters=True)  # as bot.db's engines
    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            include_object=in_models,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations()
