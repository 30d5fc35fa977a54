"""A session's lifecycle: which move is allowed from which state, and the move itself.

    scheduled ── start ──▶ live ── end ──▶ ended ── complete ──▶ completed
        │  │                 └───────── complete ─────────────────▲
        │  └──────────── complete (once past its start) ─────────┘
        ├── cancel ──▶ cancelled
        └── reschedule (stays scheduled; `sequence` rises)

This module decides, and nothing else does: `move_refusal` says why a move is not allowed now
(None when it is), and `session_move` performs one on the session's locked row: it checks the
move against the state it finds, then writes the state, its moment and the sequence. A start
of a live session and a cancel of a cancelled one change nothing (a second click).

What a move sets off elsewhere is the calling service's, in the same transaction: the room
(`rooms.session_start`, `session_end`, `session_complete`: the media room, attendances,
recordings) and the e-mails and reminders (`services.session_cancel`, `session_update`).
"""

from __future__ import annotations

import enum
from datetime import datetime

from django.db import transaction

from sessions_app.models import Session, SessionState


class Move(enum.Enum):
    START = "start"
    END = "end"
    COMPLETE = "complete"
    CANCEL = "cancel"
    RESCHEDULE = "reschedule"


class MoveRefused(Exception):
    """A move the session's state does not allow, with a message for the page."""


# Moves that change nothing when the session is already where they lead.
_ALREADY = {Move.START: SessionState.LIVE, Move.CANCEL: SessionState.CANCELLED}
_OVER = (SessionState.ENDED, SessionState.COMPLETED)


def move_refusal(session: Session, move: Move, *, now: datetime) -> str | None:
    """Why `move` is not allowed for the session as read, or None when it is."""
    state = session.state
    if move is Move.START:
        # Hosts may start any time before the scheduled end.
        if state == SessionState.LIVE or (
            state == SessionState.SCHEDULED and session.ends_at > now
        ):
            return None
        return "This session can no longer be started."
    if move is Move.END:
        return None if state == SessionState.LIVE else "Only a live session can be ended."
    if move is Move.COMPLETE:
        # Ended by a host, or begun: live, or scheduled and past its start.
        if state == SessionState.ENDED or (
            state in (SessionState.SCHEDULED, SessionState.LIVE) and session.starts_at <= now
        ):
            return None
        return "Only a session that has begun can be marked complete."
    if move is Move.CANCEL:
        if state == SessionState.CANCELLED:
            return None
        if session.is_over(now=now) or state == SessionState.LIVE:
            return "Only a session that has not started yet can be cancelled."
        return None
    if state == SessionState.CANCELLED:
        return "A cancelled session cannot be changed."
    if session.is_over(now=now):
        return "This session is over; schedule a new one instead."
    if state == SessionState.LIVE:
        return "This session is live: it cannot be moved now."
    return None


def is_allowed(session: Session, move: Move, *, now: datetime) -> bool:
    return move_refusal(session, move, now=now) is None


def session_locked(session: Session) -> Session:
    """The session's row, locked until the caller's transaction ends."""
    return Session.objects.select_for_update().get(pk=session.pk)


def session_move(
    *,
    locked: Session,
    move: Move,
    now: datetime,
    refused: type[Exception] = MoveRefused,
) -> bool:
    """Perform `move` on a row the caller locked (`session_locked`) in its open transaction.

    1. A start of a live session or a cancel of a cancelled one answers False: nothing moved.
    2. A move the state does not allow raises `refused` (the error the caller's pages catch)
       with the reason.
    3. Otherwise the state, the moment it took (started, ended, cancelled) and, for a cancel or
       a reschedule, a higher `sequence` (a calendar's CANCEL and REQUEST must carry one) are
       saved, and the answer is True.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("session_move runs inside the transaction that locked the session")
    if _ALREADY.get(move) == locked.state:
        return False
    refusal = move_refusal(locked, move, now=now)
    if refusal is not None:
        raise refused(refusal)
    if move is Move.START:
        locked.state, locked.started_at = SessionState.LIVE, now
        fields = ["state", "started_at"]
    elif move is Move.END:
        locked.state, locked.ended_at = SessionState.ENDED, now
        fields = ["state", "ended_at"]
    elif move is Move.COMPLETE:
        locked.state, locked.ended_at = SessionState.COMPLETED, locked.ended_at or now
        fields = ["state", "ended_at"]
    elif move is Move.CANCEL:
        locked.state, locked.cancelled_at = SessionState.CANCELLED, now
        locked.sequence += 1
        fields = ["state", "cancelled_at", "sequence"]
    else:
        locked.sequence += 1
        fields = ["sequence"]
    locked.save(update_fields=[*fields, "updated_at"])
    return True
