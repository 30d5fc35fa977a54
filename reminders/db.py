"""A server-side-binding psycopg cursor on Django's own connection, for the outbox's bulk paths.

Django's PostgreSQL cursors bind parameters client-side, quoting every element of a long array
in Python; a psycopg `Cursor` on the same connection (and transaction) sends arrays and COPY
rows as they are, and prepares repeated statements. Its statements are recorded in
`connection.queries_log` whenever Django records queries (DEBUG, CaptureQueriesContext), so
query counts in tests and benchmarks include them.

`statement_execute` is the dispatcher's per-message path: one statement on a cursor kept for
the life of the database connection, so that recording a sent message costs the statement's
round trip and little Python around it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from weakref import WeakKeyDictionary

import psycopg
from django.db import DEFAULT_DB_ALIAS, connection, connections


class LoggedCursor:
    def __init__(self, cursor: psycopg.Cursor) -> None:
        self._cursor = cursor

    def _log(self, sql: str, started: float) -> None:
        if connection.queries_logged:
            connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})

    def execute(self, sql: str, params: Sequence[object] | None = None, **kwargs: Any) -> None:
        started = time.monotonic()
        self._cursor.execute(sql, params, **kwargs)
        self._log(sql, started)

    @contextmanager
    def copy(self, statement: str) -> Iterator[psycopg.Copy]:
        started = time.monotonic()
        with self._cursor.copy(statement) as copy:
            yield copy
        self._log(statement, started)

    def fetchall(self) -> list[tuple]:
        return self._cursor.fetchall()

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount


@contextmanager
def server_cursor() -> Iterator[LoggedCursor]:
    connection.ensure_connection()
    # Django's error wrapper: psycopg's errors become django.db's, and a broken connection is
    # marked so that Django replaces it.
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        yield LoggedCursor(cursor)


# One kept cursor per psycopg connection: gone with it when Django replaces the connection.
_kept_cursors: WeakKeyDictionary[psycopg.Connection[Any], psycopg.Cursor[Any]] = WeakKeyDictionary()


def statement_execute(sql: str, params: Sequence[object]) -> int:
    """Run one statement on the default connection (its own transaction in autocommit) and
    return its row count; psycopg prepares it after a few runs, as `server_cursor` does."""
    database = connections[DEFAULT_DB_ALIAS]  # looked up once: the proxy costs per attribute
    database.ensure_connection()
    raw = database.connection
    cursor = _kept_cursors.get(raw)
    if cursor is None or cursor.closed:
        cursor = _kept_cursors[raw] = psycopg.Cursor(raw)
    started = time.monotonic()
    with database.wrap_database_errors:
        cursor.execute(sql, params)
    if database.queries_logged:
        database.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})
    return cursor.rowcount
