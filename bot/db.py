"""Database engine, sessions and migrations."""

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Column, Connection, Engine, Insert, Table, create_engine, event, make_url
from sqlalchemy.dialects import postgresql, registry, sqlite
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.orm import Session, sessionmaker

from bot.prepared import run_sql

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Set in a session's `info` when its transaction runs a request's work again (bot.handover.Transactions.run):
# a parallel or earlier request committed the same provider message, and the work looks for what it stored.
RETRY = "retry"
# The word-search index each database builds its own way (migration 0011): not in the models.
SEARCH_INDEX = "feedback_search"


def in_models(object, name: str | None, type_: str, reflected: bool, compare_to) -> bool:
    """Alembic's `include_object`: leave the search index out of comparisons with the models."""
    return not (name or "").startswith((SEARCH_INDEX, "ix_" + SEARCH_INDEX))


# How long a SQLite transaction waits for another process's write lock before it gives up (the database is
# then taken as down: a webhook keeps its request in the spool).
SQLITE_BUSY_SECONDS = 15


class SQLiteDialect(SQLiteDialect_pysqlite):
    """SQLAlchemy's pysqlite dialect, its savepoints sent as written, on the driver's cursor (bot.prepared).

    SQLAlchemy compiles a savepoint's statement anew each time, and executes it as any other; every webhook turn
    on the event loop has one (bot.turns), and that cost a tenth of a turn (bench/turn_cpu.py's profile).
    """

    supports_statement_cache = True

    def do_savepoint(self, connection: Connection, name: str) -> None:
        run_sql(connection, f"SAVEPOINT {self.identifier_preparer.quote(name)}")

    def do_rollback_to_savepoint(self, connection: Connection, name: str) -> None:
        run_sql(connection, f"ROLLBACK TO SAVEPOINT {self.identifier_preparer.quote(name)}")

    def do_release_savepoint(self, connection: Connection, name: str) -> None:
        run_sql(connection, f"RELEASE SAVEPOINT {self.identifier_preparer.quote(name)}")


registry.register("sqlite.baro", __name__, "SQLiteDialect")


def make_engine(url: str) -> Engine:
    """An engine tuned for the backend; SQLite gets WAL and a busy timeout so web and worker share it."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            _private(Path(path))
        parsed = make_url(url)
        if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
            parsed = parsed.set(drivername="sqlite+baro")
        # Both engines leave a statement's parameters (a person's words, lookup hashes, tokens) out of
        # SQLAlchemy's errors and logs: a failed request's or job's traceback is logged.
        engine = create_engine(
            parsed, connect_args={"timeout": SQLITE_BUSY_SECONDS, "check_same_thread": False}, hide_parameters=True
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10, hide_parameters=True)


def _private(database: Path) -> None:
    """The SQLite file holds personal data: only the service's user reads it (SQLite gives its
    journal and shared-memory files the same permissions)."""
    database.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not database.exists():
        # Created here, empty, so that it is born private. Never opened once it exists: closing any
        # descriptor of a SQLite file drops the POSIX locks this process's connections hold on it.
        with suppress(FileExistsError):  # another process made it meanwhile
            os.close(os.open(database, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        with suppress(FileNotFoundError):
            path.chmod(0o600)


def refresh_statistics(engine: Engine) -> bool:
    """Tell SQLite's planner what the data looks like; True if it was told.

    Without statistics SQLite guesses, and at a million rows it guessed wrong for the inbox (a triage
    officer's "due first" read 0.6 s instead of 9 ms, bench/inbox.py). PostgreSQL's autovacuum keeps its own.
    """
    if engine.dialect.name != "sqlite":
        return False
    with engine.begin() as connection:
        # Each index sampled rather than read whole: milliseconds at a million rows, not a long write lock.
        connection.exec_driver_sql("PRAGMA analysis_limit=1000")
        connection.exec_driver_sql("ANALYZE")
    return True


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with factory() as session, session.begin():
        yield session


@contextmanager
def write_transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A transaction that reads what it will write, and that parallel ones may be writing (a person's conversation).

    On SQLite it takes the write lock first (BEGIN IMMEDIATE): otherwise the driver begins only at the first
    write, after the reads, and two messages from one person would both act on the same step. PostgreSQL
    callers lock the rows they read for update instead (bot.contacts).
    """
    with factory() as session, session.begin():
        if session.get_bind().dialect.name == "sqlite":
            session.connection().exec_driver_sql("BEGIN IMMEDIATE")
        yield session


@contextmanager
def savepoint(factory: sessionmaker[Session], connection: Connection) -> Iterator[Session]:
    """A session within `connection`'s open transaction, its work one savepoint: kept on success, undone on any
    error, and committed or not with the rest of the transaction, by whoever owns it.

    The savepoint is the connection's, and the session works within it ("rollback_only": its own rollback, a
    failed flush's, undoes the savepoint alone): a session that made its own savepoint, and a transaction of its
    own around it, cost a twentieth of a turn (bench/turn_cpu.py).
    """
    with connection.begin_nested(), factory(bind=connection, join_transaction_mode="rollback_only") as session:
        yield session
        session.flush()


def insert_unless_taken(table: Table, *unique: Column) -> dict[str, Insert]:
    """`INSERT ... ON CONFLICT DO NOTHING` for each database baro runs on, by dialect name: a row whose unique
    value another transaction may take first, told apart without a savepoint (no row comes back)."""
    return {
        name: dialect.insert(table).on_conflict_do_nothing(index_elements=list(unique))
        for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql))
    }


def upsert(table: Table, *unique: Column) -> dict[str, Insert]:
    """`INSERT ... ON CONFLICT DO UPDATE` for each database baro runs on, by dialect name: the row with this unique
    value written whether it exists or not, in one statement; the columns updated are the others given."""
    statements = {}
    for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql)):
        insert = dialect.insert(table)
        others = {column.name: insert.excluded[column.name] for column in table.columns if column not in unique}
        statements[name] = insert.on_conflict_do_update(index_elements=list(unique), set_=others)
    return statements


def alembic_config(url: str) -> "Config":
    # Alembic is imported when used, not with every web process (11 MB each, bench/capacity.py).
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Apply the Alembic migrations up to `revision`."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)
