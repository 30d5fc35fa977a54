"""Counting the queries of a dispatch, apart from the one UPDATE per send it issues by design."""

from __future__ import annotations

from datetime import datetime

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reminders.dispatcher import outbox_dispatch


def _is_recording_a_send(sql: str) -> bool:
    sql = sql.replace('"', "")
    return sql.startswith("UPDATE reminders_message SET status") and "sent_at" in sql


def dispatch_counting(moment: datetime) -> tuple[int, int]:
    """Messages sent, and queries issued beyond the dispatcher's own one per send.

    Each send is committed on its own (see reminders.dispatcher), so that UPDATE is per
    message by design; everything else must not be.
    """
    with time_machine.travel(moment, tick=False), CaptureQueriesContext(connection) as queries:
        sent = outbox_dispatch(now=moment).sent
    recording = [q for q in queries.captured_queries if _is_recording_a_send(q["sql"])]
    assert len(recording) == sent
    return sent, len(queries) - len(recording)
