"""The session's lifecycle: which move each state allows, and what the move writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction

from sessions_app import lifecycle
from sessions_app.lifecycle import Move
from sessions_app.models import Session, SessionState
from tests.factories import SessionFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
BEFORE = NOW + timedelta(hours=2)  # a session starting in two hours
STARTED = NOW - timedelta(minutes=10)  # one inside its hour
PAST = NOW - timedelta(hours=3)  # one whose hour is over

ALLOWED = [
    (SessionState.SCHEDULED, BEFORE, {Move.START, Move.CANCEL, Move.RESCHEDULE}),
    (SessionState.SCHEDULED, STARTED, {Move.START, Move.COMPLETE, Move.CANCEL, Move.RESCHEDULE}),
    (SessionState.SCHEDULED, PAST, {Move.COMPLETE}),
    (SessionState.LIVE, STARTED, {Move.START, Move.END, Move.COMPLETE}),
    (SessionState.ENDED, STARTED, {Move.COMPLETE}),
    (SessionState.COMPLETED, STARTED, set()),
    (SessionState.CANCELLED, BEFORE, {Move.CANCEL}),
]


@pytest.mark.parametrize(("state", "starts_at", "allowed"), ALLOWED)
def test_each_state_allows_only_its_moves(state, starts_at, allowed) -> None:
    session = SessionFactory(state=state, starts_at=starts_at, duration_minutes=60)
    assert {move for move in Move if lifecycle.is_allowed(session, move, now=NOW)} == allowed


def test_a_move_writes_the_state_its_moment_and_the_sequence() -> None:
    session = SessionFactory(state=SessionState.SCHEDULED, starts_at=BEFORE)
    with transaction.atomic():
        locked = lifecycle.session_locked(session)
        assert lifecycle.session_move(locked=locked, move=Move.CANCEL, now=NOW)
    stored = Session.objects.get(pk=session.pk)
    assert (stored.state, stored.cancelled_at, stored.sequence) == (
        SessionState.CANCELLED,
        NOW,
        session.sequence + 1,
    )
    with transaction.atomic():
        again = lifecycle.session_move(
            locked=lifecycle.session_locked(session), move=Move.CANCEL, now=NOW
        )
    assert again is False
    assert Session.objects.get(pk=session.pk).sequence == session.sequence + 1


def test_a_refused_move_says_why_and_writes_nothing() -> None:
    session = SessionFactory(state=SessionState.SCHEDULED, starts_at=BEFORE)
    with (
        pytest.raises(lifecycle.MoveRefused, match=r"^Only a live session can be ended\.$"),
        transaction.atomic(),
    ):
        lifecycle.session_move(locked=lifecycle.session_locked(session), move=Move.END, now=NOW)
    assert Session.objects.get(pk=session.pk).state == SessionState.SCHEDULED
