"""Statements every message runs, compiled once and run on the driver's cursor.

SQLAlchemy's execution of a statement it has already compiled still costs about twice the database's own work
(its parameters, its execution context, its result), and a conversation turn runs four to six of them: on
SQLite, where every turn runs on the web process's one event loop, that was a seventh of what a message costs
(bench/turn_cpu.py under cachegrind). A `Prepared` statement is compiled by SQLAlchemy for the connection's
database, with the parameters it is given; its values and results go through the same types (time zones, JSON,
booleans), its Python-side column defaults are filled in, and a failure raises SQLAlchemy's own error
(IntegrityError for a value already taken), parameters hidden, as Connection.execute does.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, exc
from sqlalchemy.sql.base import Executable


def run_sql(connection: Connection, sql: str, parameters: Sequence | Mapping[str, Any] = ()) -> list[tuple]:
    """`sql` as written, with parameters as the driver takes them, on `connection`'s cursor; the rows it returns.

    A failure raises SQLAlchemy's error for it (OperationalError, IntegrityError...), parameters hidden.
    """
    dbapi = connection.dialect.loaded_dbapi
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql, parameters)
        return cursor.fetchall() if cursor.description else []
    except dbapi.Error as error:
        raise exc.DBAPIError.instance(
            sql, None, error, dbapi.Error, hide_parameters=True, dialect=connection.dialect
        ) from error
    finally:
        cursor.close()


class _Compiled:
    """A statement as one database runs it, for one set of parameter names."""

    def __init__(self, statement: Executable, connection: Connection, names: tuple[str, ...]):
        dialect = connection.dialect
        compiled = statement.compile(dialect=dialect, column_keys=list(names))
        self.sql = compiled.string
        self.order = compiled.positiontup if compiled.positional else None
        # Values the statement holds itself (a literal): SQLAlchemy passes them as parameters too.
        binds = compiled.binds.items()
        self.constants = {name: bind.effective_value for name, bind in binds if name not in names and not bind.required}
        self.processors = {
            name: processor
            for name, bind in binds
            if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
        }
        # Columns whose default SQLAlchemy computes in Python when a statement leaves them out (created_at...).
        self.defaults: dict[str, Callable[[], Any]] = {}
        inserted = [(column, column.default) for column in compiled.insert_prefetch]
        for column, default in inserted + [(column, column.onupdate) for column in compiled.update_prefetch]:
            if default.is_callable:
                self.defaults[column.key] = lambda arg=default.arg: arg(None)
            elif default.is_scalar:
                self.defaults[column.key] = lambda value=default.arg: value
            else:
                raise ValueError(f"{column.key}'s default is not computed in Python")
        columns = statement.exported_columns if compiled.returning or statement.is_select else ()
        self.names = tuple(column.key for column in columns)
        self.results = [column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns]

    def parameters(self, given: Mapping[str, Any]) -> Any:
        values = {**self.constants, **given}
        for name, default in self.defaults.items():
            values[name] = default()
        for name, process in self.processors.items():
            if values.get(name) is not None:
                values[name] = process(values[name])
        return values if self.order is None else tuple(values[name] for name in self.order)

    def row(self, values: tuple) -> dict[str, Any]:
        return {
            name: value if process is None or value is None else process(value)
            for name, process, value in zip(self.names, self.results, values, strict=True)
        }


class Prepared:
    """A statement run as compiled for each database and each set of parameter names it is given."""

    def __init__(self, statement: Executable):
        self.statement = statement
        self._compiled: dict[tuple[str, tuple[str, ...]], _Compiled] = {}

    def run(self, connection: Connection, parameters: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The statement run in `connection`'s open transaction; the rows it returns, if any, as dicts."""
        if not connection.in_transaction():  # the driver would begin one SQLAlchemy does not know of
            raise RuntimeError("a prepared statement runs in an open transaction")
        names = tuple(parameters)
        key = (connection.dialect.name, names)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = _Compiled(self.statement, connection, names)
        rows = run_sql(connection, compiled.sql, compiled.parameters(parameters))
        return [compiled.row(row) for row in rows]

    def first(self, connection: Connection, parameters: Mapping[str, Any]) -> dict[str, Any] | None:
        rows = self.run(connection, parameters)
        return rows[0] if rows else None
