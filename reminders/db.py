"""A server-side-binding psycopg cursor on Django's own connection, for the outbox's bulk paths.

Django's PostgreSQL cursors bind parameters client-side, quoting every element of a long array
in Python; a psycopg `Cursor` on the same connection (and transaction) sends arrays and COPY
rows as they are, and prepares repeated statements. Its statements are recorded in
`connection.queries_log` whenever Django records queries (DEBUG, CaptureQueriesContext), so
query counts in tests and benchmarks include them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

import psycopg
from django.db import OperationalError, connection
from psycopg import pq


class LoggedCursor:
    def __init__(self, cursor: psycopg.Cursor) -> None:
        self._cursor = cursor

    def _log(self, sql: str, started: float) -> None:
        if connection.queries_logged:
            connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})

    def execute(self, sql: str, params: Sequence[object] | None = None, **kwargs: object) -> None:
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
    in_flight = getattr(_local, "in_flight", None)
    if in_flight is not None:
        in_flight.settle()
    with psycopg.Cursor(connection.connection) as cursor:
        yield LoggedCursor(cursor)


class StatementInFlight:
    """At most one statement sent to PostgreSQL whose result is collected later.

    The dispatcher records each send in its own commit; waiting for that commit before
    rendering the next e-mail leaves the worker idle for a round trip per message. Here the
    statement is sent (`PQsendQueryParams`, autocommit: the server commits it on its own) and
    the caller settles it — waits for and checks its result — before the next thing that must
    come after it, such as handing the next e-mail to the provider. Every other use of the
    connection settles it first: Django's queries through an execute wrapper (see `overlapped`),
    `server_cursor()` directly.
    """

    def __init__(self) -> None:
        self._pending: tuple[str, float, Callable[[int], None]] | None = None

    def send(self, sql: str, params: Sequence[object], on_done: Callable[[int], None]) -> None:
        """Send `sql` with `params` (bound as text); `on_done(rowcount)` runs once it settles."""
        self.settle()
        pgconn = connection.connection.pgconn
        pgconn.send_query_params(sql.encode(), [_as_text(value) for value in params])
        self._pending = (sql, time.monotonic(), on_done)

    def settle(self) -> None:
        if self._pending is None:
            return
        sql, started, on_done = self._pending
        self._pending = None
        pgconn = connection.connection.pgconn
        rowcount, error = 0, None
        while (result := pgconn.get_result()) is not None:
            if result.status == pq.ExecStatus.COMMAND_OK:
                rowcount = int(result.command_tuples or 0)
            else:
                error = (result.error_message or pgconn.error_message).decode(errors="replace")
        if connection.queries_logged:
            connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})
        if error is not None:
            raise OperationalError(error.strip())
        on_done(rowcount)


def _as_text(value: object) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat().encode()
    return str(value).replace("\x00", "").encode()


_local = threading.local()


@contextmanager
def overlapped() -> Iterator[StatementInFlight]:
    """A `StatementInFlight` for this thread's connection, settled before any other query."""
    connection.ensure_connection()
    in_flight = StatementInFlight()

    def settle_first(execute, sql, params, many, context):
        in_flight.settle()
        return execute(sql, params, many, context)

    _local.in_flight = in_flight
    try:
        with connection.execute_wrapper(settle_first):
            try:
                yield in_flight
            finally:
                # Also when interrupted (a task's time limit): what was sent is recorded.
                in_flight.settle()
    finally:
        _local.in_flight = None
