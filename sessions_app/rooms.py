"""Live rooms: who may enter when, presence, and the host's start/end/complete/remove/leave.

Entry opens `ENTRY_OPENS_MINUTES` before the start. Before a host starts the session,
everyone but hosts waits ("Waiting for host"); the waiting page polls the state endpoint
(`room_poll`), which moves them in once the state is live.

Presence is written by POSTs only (pre-join, and each page's heartbeat: `host_heartbeat`,
`attendee_heartbeat`); opening a room page records nothing, so a link scanner or a prefetch
never shows anyone to the host.

The poll is the hot path (every waiting attendee, every second). It reads the session's state
and the attendance's status from the cache in one round trip, falling back to one indexed
query. Every change made here forgets the cached values at once (and again on commit), and
so do a cancellation and a reschedule (`services.py`); anything else changed elsewhere shows
within `SESSION_CACHE_SECONDS`.
"""

from __future__ import annotations

import enum
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, F, Value
from django.db.models.functions import Coalesce
from django.utils.crypto import constant_time_compare, salted_hmac

from sessions_app import lifecycle, signals
from sessions_app.lifecycle import Move
from sessions_app.media import Grant, MediaBackend, MediaUnavailable, media_backend
from sessions_app.models import (
    Attendance,
    AttendanceRole,
    AttendanceStatus,
    Registration,
    Session,
    SessionState,
)

logger = logging.getLogger(__name__)

ENTRY_OPENS_MINUTES = 10
# A poll refreshes `last_seen_at` at most this often, so most polls are one read.
SEEN_REFRESH_SECONDS = 15
# How long the poll may trust cached state; explicit forgetting makes most changes immediate.
SESSION_CACHE_SECONDS = 2
ATTENDANCE_CACHE_SECONDS = 10


class RoomError(Exception):
    """A room action refused, with a message for the page."""


class ParticipantRemoved(RoomError):
    pass


class LinkGone(RoomError):
    """The link this browser came through was replaced while it entered."""


class Entry(enum.Enum):
    EARLY = "early"
    OPEN = "open"
    OVER = "over"
    CANCELLED = "cancelled"


def room_entry(*, session: Session, now: datetime, is_host: bool = False) -> Entry:
    """May someone enter the room now? Hosts may come in at any time before the end."""
    if session.state == SessionState.CANCELLED:
        return Entry.CANCELLED
    if session.state in (SessionState.ENDED, SessionState.COMPLETED):
        return Entry.OVER
    if session.state == SessionState.LIVE:
        return Entry.OPEN
    if session.ends_at <= now:
        return Entry.OVER
    if not is_host and now < room_opens_at(session):
        return Entry.EARLY
    return Entry.OPEN


def room_opens_at(session: Session) -> datetime:
    return session.starts_at - timedelta(minutes=ENTRY_OPENS_MINUTES)


# --- presence ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Participant:
    """Who this browser is in a session's room (not yet an Attendance row)."""

    key: str
    role: str
    name: str
    user: User | None = None
    registration: Registration | None = None


def participant_for_host(user: User) -> Participant:
    name = user.get_full_name() or user.email
    return Participant(key=f"user:{user.pk}", role=AttendanceRole.HOST, name=name, user=user)


def participant_for_registration(registration: Registration) -> Participant:
    return Participant(
        key=f"registration:{registration.pk}",
        role=AttendanceRole.ATTENDEE,
        name=registration.name,
        registration=registration,
    )


def participant_open_key() -> str:
    return f"open:{secrets.token_urlsafe(16)}"


def attendance_arrive(
    *, session: Session, participant: Participant, name: str, now: datetime
) -> Attendance:
    """Record that `participant` arrived (pre-join done): waiting, or in at once for hosts.

    Refuses someone a host removed from this session.
    """
    name = name.strip()[:200] or participant.name
    status = AttendanceStatus.WAITING
    joined_at = None
    if participant.role == AttendanceRole.HOST or session.state == SessionState.LIVE:
        status, joined_at = AttendanceStatus.IN_ROOM, now
    with transaction.atomic():
        attendance = (
            Attendance.objects.select_for_update()
            .filter(session=session, participant_key=participant.key)
            .first()
        )
        if attendance is not None and attendance.status == AttendanceStatus.REMOVED:
            raise ParticipantRemoved("A host removed you from this session.")
        if attendance is None:
            try:
                with transaction.atomic():
                    return Attendance.objects.create(
                        session=session,
                        participant_key=participant.key,
                        role=participant.role,
                        name=name,
                        user=participant.user,
                        registration=participant.registration,
                        status=status,
                        arrived_at=now,
                        joined_at=joined_at,
                        last_seen_at=now,
                    )
            except IntegrityError:  # the same person in two tabs at once
                attendance = Attendance.objects.select_for_update().get(
                    session=session, participant_key=participant.key
                )
        attendance.name = name
        attendance.status = status
        attendance.joined_at = joined_at if attendance.joined_at is None else attendance.joined_at
        attendance.left_at = None
        attendance.last_seen_at = now
        attendance.save(update_fields=["name", "status", "joined_at", "left_at", "last_seen_at"])
    room_cache_forget(attendance_id=attendance.pk)
    return attendance


def host_heartbeat(
    *, session: Session, user: User, attendance_id: int | None, now: datetime
) -> int:
    """The host's open room page says the host is here; answers the host's attendance id.

    Opening the page (a GET) records nothing; its first heartbeat (a POST) arrives the host,
    later ones refresh `last_seen_at` the way the attendees' poll does (mostly one cache
    read). A host who left, or whose remembered attendance is not theirs, arrives again.
    """
    if attendance_id is not None:
        poll = room_poll(session_id=session.pk, attendance_id=attendance_id, now=now)
        if (
            poll is not None
            and poll.role == AttendanceRole.HOST
            and poll.status in (AttendanceStatus.WAITING, AttendanceStatus.IN_ROOM)
        ):
            return attendance_id
    attendance = attendance_arrive(
        session=session, participant=participant_for_host(user), name="", now=now
    )
    return attendance.pk


def attendee_heartbeat(
    *, session_id: int, attendance_id: int, phase: str, now: datetime
) -> PollState | None:
    """An attendee's or guest's open waiting or room page says they are here.

    Opening the page (a GET) records nothing; each beat (a POST) refreshes `last_seen_at`
    through `room_poll` (mostly one cache read), and the room page's beat moves a waiting
    attendee in, once. Answers the state the page follows, None for an unknown attendance.
    """
    poll = room_poll(session_id=session_id, attendance_id=attendance_id, now=now)
    if (
        poll is not None
        and phase == "room"
        and poll.session_state == SessionState.LIVE
        and poll.status == AttendanceStatus.WAITING
    ):
        attendance_enter(attendance_id=attendance_id, now=now)
        poll = replace(poll, status=AttendanceStatus.IN_ROOM)
    return poll


def attendance_enter(*, attendance_id: int, now: datetime) -> None:
    """A waiting participant is placed into the live room (joined at their first entry)."""
    Attendance.objects.filter(pk=attendance_id, status=AttendanceStatus.WAITING).update(
        status=AttendanceStatus.IN_ROOM,
        joined_at=Coalesce("joined_at", Value(now, output_field=DateTimeField())),
        last_seen_at=now,
        left_at=None,
    )
    room_cache_forget(attendance_id=attendance_id)


def attendance_leave(*, attendance: Attendance, now: datetime) -> None:
    Attendance.objects.filter(
        pk=attendance.pk, status__in=[AttendanceStatus.WAITING, AttendanceStatus.IN_ROOM]
    ).update(status=AttendanceStatus.LEFT, left_at=now)
    room_cache_forget(attendance_id=attendance.pk)


def attendance_remove(*, attendance: Attendance, now: datetime) -> list[str]:
    """A host moves a participant out; they cannot come back with the same identity, nor (for
    guests) with the shared link they came through. Answers what else the host should know."""
    if attendance.role == AttendanceRole.HOST:
        raise RoomError("Hosts cannot be removed from the room.")
    session = attendance.session
    notes: list[str] = []
    with transaction.atomic():
        # The credential their browser holds names this version: the next one is new.
        Attendance.objects.filter(pk=attendance.pk).update(
            status=AttendanceStatus.REMOVED, left_at=now, media_version=F("media_version") + 1
        )
        prefix = attendance.participant_key.split(":", 1)[0]
        for _receiver, note in signals.participant_removed.send(
            sender=Attendance, prefix=prefix, attendance=attendance, now=now
        ):
            if note:
                notes.append(str(note))
        room_cache_forget(attendance_id=attendance.pk)
        _media_call(
            "remove",
            lambda media: media.participant_remove(session=session, attendance=attendance),
        )
    return notes


def attendance_readmit(*, attendance: Attendance) -> bool:
    """ "Let back in": a removed participant may enter again (with a new media credential)."""
    changed = Attendance.objects.filter(pk=attendance.pk, status=AttendanceStatus.REMOVED).update(
        status=AttendanceStatus.LEFT
    )
    room_cache_forget(attendance_id=attendance.pk)
    return bool(changed)


def attendances_revoke(
    *, session_id: int, participant_keys: Sequence[str], now: datetime, remove: bool
) -> int:
    """Identities that no longer hold (a registration removed, a link replaced): out now.

    With `remove` the identity can never come back (its rows become `removed`); otherwise
    those waiting or in the room are moved out as `left`, and the same person may come back
    through a current link. Each poll sees it within one round trip (the cache is forgotten).
    """
    rows = Attendance.objects.filter(session_id=session_id, participant_key__in=participant_keys)
    ids = list(rows.values_list("pk", flat=True))
    if not ids:
        return 0
    active = [AttendanceStatus.WAITING, AttendanceStatus.IN_ROOM]
    target = AttendanceStatus.REMOVED if remove else AttendanceStatus.LEFT
    Attendance.objects.filter(pk__in=ids, status__in=active).update(status=target, left_at=now)
    if remove:
        Attendance.objects.filter(pk__in=ids, status=AttendanceStatus.LEFT).update(
            status=AttendanceStatus.REMOVED
        )
    keys = [_attendance_cache_key(pk) for pk in ids]
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))
    return len(ids)


# --- the host's session controls --------------------------------------------------------------


def session_start(*, session: Session, now: datetime) -> Session:
    """Scheduled → live: every waiting participant's next poll moves them in."""
    with transaction.atomic():
        locked = lifecycle.session_locked(session)
        if lifecycle.session_move(locked=locked, move=Move.START, now=now, refused=RoomError):
            room_cache_forget(session_id=locked.pk)
            _media_call("open", lambda media: media.room_open(session=locked))
    session.state, session.started_at = locked.state, locked.started_at
    return locked


def session_recording_switch(*, session: Session, is_recorded: bool) -> Session:
    """ "Record this session": decided before the start (the room is made with it)."""
    with transaction.atomic():
        locked = lifecycle.session_locked(session)
        if locked.state != SessionState.SCHEDULED:
            raise RoomError("Recording is decided before the session starts.")
        locked.is_recorded = is_recorded
        locked.save(update_fields=["is_recorded", "updated_at"])
    session.is_recorded = is_recorded
    return locked


def session_end(*, session: Session, now: datetime) -> Session:
    """Live → ended for everyone: each poll moves its participant to the post-session page."""
    return _session_close(session=session, move=Move.END, now=now)


def session_complete(*, session: Session, now: datetime) -> Session:
    """Ended or begun → completed; a live session is closed for everyone as by the end."""
    return _session_close(session=session, move=Move.COMPLETE, now=now)


def _session_close(*, session: Session, move: Move, now: datetime) -> Session:
    """End or complete the session; everyone still waiting or inside has left.

    A live room is closed at the media server too (every stream stops), and what the server
    recorded is queued for processing into the session's recording.
    """
    with transaction.atomic():
        locked = lifecycle.session_locked(session)
        was_live = locked.state == SessionState.LIVE
        lifecycle.session_move(locked=locked, move=move, now=now, refused=RoomError)
        room_cache_forget(session_id=locked.pk)
        Attendance.objects.filter(
            session=locked, status__in=[AttendanceStatus.WAITING, AttendanceStatus.IN_ROOM]
        ).update(status=AttendanceStatus.LEFT, left_at=now)
        if was_live:
            _media_call("close", lambda media: media.room_close(session=locked))
            if locked.is_recorded:
                from sessions_app.recordings import recording_from_server_begin

                recording_from_server_begin(session=locked)
    session.state, session.ended_at = locked.state, locked.ended_at
    return locked


# --- the state endpoint -------------------------------------------------------------------------


def attendance_signature(session_id: int, attendance_id: int) -> str:
    """Lets the poll URL name an attendance without a cookie or a session read."""
    digest = salted_hmac(
        "convene.room.state", f"{session_id}:{attendance_id}", algorithm="sha256"
    ).hexdigest()
    return digest[:24]


def attendance_signature_matches(session_id: int, attendance_id: int, signature: str) -> bool:
    return constant_time_compare(attendance_signature(session_id, attendance_id), signature)


def _session_cache_key(session_id: int) -> str:
    return f"room:session:{session_id}"


def _attendance_cache_key(attendance_id: int) -> str:
    return f"room:attendance:{attendance_id}"


def room_cache_forget(*, session_id: int | None = None, attendance_id: int | None = None) -> None:
    keys = []
    if session_id is not None:
        keys.append(_session_cache_key(session_id))
    if attendance_id is not None:
        keys.append(_attendance_cache_key(attendance_id))
    cache.delete_many(keys)
    # Again once committed: a poll between the two may have cached the old state.
    transaction.on_commit(lambda: cache.delete_many(keys))


@dataclass(frozen=True)
class PollState:
    session_state: str
    code: str
    ends_at: float
    status: str
    role: str


def room_poll(*, session_id: int, attendance_id: int, now: datetime) -> PollState | None:
    """The state a room page's heartbeat follows; refreshes `last_seen_at` now and then.

    A write, so called from POSTs only (`host_heartbeat`, `attendee_heartbeat`).

    Usually one cache round trip; on a miss one indexed query; a write every
    SEEN_REFRESH_SECONDS per participant.
    """
    session_key, attendance_key = (
        _session_cache_key(session_id),
        _attendance_cache_key(attendance_id),
    )
    cached = cache.get_many([session_key, attendance_key])
    session_part, attendance_part = cached.get(session_key), cached.get(attendance_key)
    if session_part is None or attendance_part is None:
        row = (
            Attendance.objects.filter(pk=attendance_id, session_id=session_id)
            .values_list(
                "status",
                "role",
                "last_seen_at",
                "session__state",
                "session__code",
                "session__ends_at",
            )
            .first()
        )
        if row is None:
            return None
        status, role, last_seen_at, state, code, row_ends_at = row
        session_part = (state, code, row_ends_at.timestamp())
        attendance_part = (status, role, last_seen_at.timestamp())
        cache.set(session_key, session_part, SESSION_CACHE_SECONDS)
        cache.set(attendance_key, attendance_part, ATTENDANCE_CACHE_SECONDS)
    state, code, ends_at = session_part
    status, role, last_seen = attendance_part
    if now.timestamp() - last_seen > SEEN_REFRESH_SECONDS and status in (
        AttendanceStatus.WAITING,
        AttendanceStatus.IN_ROOM,
    ):
        Attendance.objects.filter(pk=attendance_id).update(last_seen_at=now)
        cache.set(attendance_key, (status, role, now.timestamp()), ATTENDANCE_CACHE_SECONDS)
    return PollState(session_state=state, code=code, ends_at=ends_at, status=status, role=role)


def room_phase(*, poll: PollState, now: datetime) -> str:
    """What the participant's page should be showing: waiting, room, or out."""
    if poll.status in (AttendanceStatus.REMOVED, AttendanceStatus.LEFT):
        return "out"
    if poll.session_state == SessionState.LIVE:
        return "room"
    if poll.session_state == SessionState.SCHEDULED and now.timestamp() < poll.ends_at:
        return "waiting"
    return "out"  # ended, completed, cancelled, or never started before its end


# --- the media server ---------------------------------------------------------------------------


def _media_call(action: str, call: Callable[[MediaBackend], None]) -> None:
    """Ask the media server something after our own change is committed.

    Convene's records are the truth: a media server that does not answer is logged and
    the page says video is unavailable, but the room's state still changes.
    """

    def run() -> None:
        try:
            call(media_backend())
        except MediaUnavailable:
            logger.exception("media server: %s failed", action)

    transaction.on_commit(run)


def media_grant(
    *, session: Session, attendance: Attendance, camera_on: bool = True, microphone_on: bool = True
) -> Grant:
    """What an admitted attendance's browser needs; refused to anyone not admitted now.

    Admitted means: the session is live and the attendance is waiting (its page is moving
    it in) or in the room. Removed, left, and anyone before the start get nothing.
    """
    if session.state != SessionState.LIVE:
        raise RoomError("The session is not live.")
    if attendance.status not in (AttendanceStatus.WAITING, AttendanceStatus.IN_ROOM):
        raise RoomError("You are not in this room.")
    return media_backend().grant(
        session=session, attendance=attendance, camera_on=camera_on, microphone_on=microphone_on
    )
