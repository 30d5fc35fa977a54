"""Reads for sessions. Host pages fetch through `get_hosted_session_or_404`.

A user has host rights on a session when they host its program (every session of it) or are
one of the session's co-hosts (that session only).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

from datetime import datetime, timedelta

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404

from programs.models import Program, ProgramHost
from programs.search import search_text
from sessions_app.codes import session_code_normalise
from sessions_app.models import (
    Attendance,
    AttendanceStatus,
    CalendarFeed,
    HostReminderSetting,
    Registration,
    RegistrationAnswer,
    RegistrationQuestion,
    Session,
    SessionState,
    WaitlistEntry,
)

MY_SESSIONS_TABS = ("upcoming", "ongoing", "completed", "cancelled")


def _hosts_program(user: User) -> Exists:
    return Exists(ProgramHost.objects.filter(program=OuterRef("program_id"), user=user))


def _co_hosts_session(user: User) -> Exists:
    return Exists(Session.co_hosts.through.objects.filter(session=OuterRef("pk"), user=user))


def sessions_hosted_by(*, user: User | AnonymousUser) -> QuerySet[Session]:
    """Sessions of programs `user` hosts, and sessions they co-host."""
    if not user.is_authenticated:
        return Session.objects.none()
    return Session.objects.filter(Q(_hosts_program(user)) | Q(_co_hosts_session(user)))


def get_hosted_session_or_404(*, user: User | AnonymousUser, session_id: int) -> Session:
    """The session, with `viewer_hosts_program` set, if `user` has host rights on it; else 404."""
    if not user.is_authenticated:
        raise Http404("No such session.")
    session = (
        sessions_hosted_by(user=user)
        .annotate(viewer_hosts_program=_hosts_program(user))
        .select_related("program", "module", "created_by")
        .filter(pk=session_id)
        .first()
    )
    if session is None:
        raise Http404("No such session.")
    return session


def my_sessions(*, user: User, tab: str, now: datetime) -> QuerySet[Session]:
    """My Sessions: upcoming (soonest first), ongoing, completed, cancelled (latest first).

    Ongoing is live, or scheduled and within its scheduled time. Completed holds only sessions
    whose time is over and that were not cancelled: ended or marked complete by a host, or past
    their end. Every cancelled session, past or future, is on the Cancelled tab, so Upcoming
    lists only sessions that will take place.
    """
    sessions = (
        sessions_hosted_by(user=user)
        .select_related("program")
        .annotate(registration_count=Count("registrations"))
    )
    scheduled = Q(state=SessionState.SCHEDULED)
    if tab == "upcoming":
        return sessions.filter(scheduled, starts_at__gt=now).order_by("starts_at", "id")
    if tab == "ongoing":
        return sessions.filter(
            Q(state=SessionState.LIVE) | (scheduled & Q(starts_at__lte=now, ends_at__gt=now))
        ).order_by("starts_at", "id")
    if tab == "completed":
        return sessions.filter(
            Q(state__in=[SessionState.ENDED, SessionState.COMPLETED])
            | (scheduled & Q(ends_at__lte=now))
        ).order_by("-starts_at", "-id")
    if tab == "cancelled":
        return sessions.filter(state=SessionState.CANCELLED).order_by("-starts_at", "-id")
    raise ValueError(f"unknown tab {tab!r}")


def program_upcoming_sessions(*, program: Program, now: datetime, limit: int) -> list[Session]:
    """The Program Overview's tiles: sessions not yet over, soonest first."""
    return list(
        program.sessions.filter(
            state__in=[SessionState.SCHEDULED, SessionState.LIVE], ends_at__gt=now
        )
        .select_related("program", "module")
        .annotate(registration_count=Count("registrations"))
        .order_by("starts_at", "id")[:limit]
    )


def program_past_sessions(*, program: Program, now: datetime, limit: int) -> list[Session]:
    """Sessions that ran (people who missed them still join later): most recent first."""
    return list(
        program.sessions.exclude(state=SessionState.CANCELLED)
        .filter(Q(ends_at__lte=now) | Q(state__in=[SessionState.ENDED, SessionState.COMPLETED]))
        .select_related("program", "module")
        .annotate(registration_count=Count("registrations"))
        .order_by("-starts_at", "-id")[:limit]
    )


def session_by_code(*, typed: str, program: Program | None = None) -> Session | None:
    """The session a typed Session ID names; with `program`, only among that program's."""
    code = session_code_normalise(typed)
    if code is None:
        return None
    sessions = Session.objects.select_related("program", "module")
    if program is not None:
        sessions = sessions.filter(program=program)
    return sessions.filter(code=code).first()


def session_questions(*, session: Session) -> list[RegistrationQuestion]:
    return list(session.questions.order_by("position", "id"))


def session_registration_count(*, session: Session) -> int:
    return session.registrations.count()


def session_registrations(*, session: Session, search: str = "") -> QuerySet[Registration]:
    registrations = session.registrations.select_related("added_by").order_by("created_at", "id")
    search = search_text(search)
    if search:
        registrations = registrations.filter(Q(email__icontains=search) | Q(name__icontains=search))
    return registrations


def session_answer_labels(*, session: Session) -> list[str]:
    """CSV columns: the current questions, then labels only older answers carry."""
    labels = [question.label for question in session_questions(session=session)]
    older = (
        RegistrationAnswer.objects.filter(registration__session=session)
        .exclude(question_label__in=labels)
        .values_list("question_label", flat=True)
        .distinct()
        .order_by("question_label")
    )
    return labels + list(older)


def calendar_feed_of(*, user: User) -> CalendarFeed | None:
    """The host's calendar feed, if they asked for one (it is made by a POST, never a page)."""
    return CalendarFeed.objects.filter(user=user).first()


def calendar_feed_sessions(*, user: User, since: datetime) -> QuerySet[Session]:
    return (
        sessions_hosted_by(user=user)
        .filter(ends_at__gte=since)
        .select_related("program", "created_by")
        .order_by("starts_at", "id")
    )


PRESENT_SECONDS = 60


def room_people(*, session: Session, now: datetime) -> dict[str, list[Attendance]]:
    """Who is in the room and who is waiting (seen by the poll lately), and who was removed."""
    present = session.attendances.filter(
        status__in=[AttendanceStatus.WAITING, AttendanceStatus.IN_ROOM],
        last_seen_at__gte=now - timedelta(seconds=PRESENT_SECONDS),
    ) | session.attendances.filter(status=AttendanceStatus.REMOVED)
    people: dict[str, list[Attendance]] = {"in_room": [], "waiting": [], "removed": []}
    for attendance in present.order_by("arrived_at", "id"):
        if attendance.status == AttendanceStatus.REMOVED:
            people["removed"].append(attendance)
        elif attendance.status == AttendanceStatus.IN_ROOM:
            people["in_room"].append(attendance)
        else:
            people["waiting"].append(attendance)
    return people


class RemindersOn(TypedDict):
    """What `host_reminder_programs` annotates each program with."""

    reminders_on: bool


def host_reminder_programs(*, user: User) -> list[WithAnnotations[Program, RemindersOn]]:
    """The programs whose host reminders `user` gets or could get (they host it, or co-host one
    of its sessions), each with `reminders_on`; one query."""
    return list(
        Program.objects.filter(
            Q(Exists(ProgramHost.objects.filter(program=OuterRef("pk"), user=user)))
            | Q(
                Exists(
                    Session.co_hosts.through.objects.filter(
                        session__program=OuterRef("pk"), user=user
                    )
                )
            )
        )
        .annotate(
            reminders_on=~Exists(
                HostReminderSetting.objects.filter(
                    program=OuterRef("pk"), user=user, wants_session_reminders=False
                )
            )
        )
        .order_by("name", "id")
    )


def waitlist_place(*, entry: WaitlistEntry) -> int:
    """Where somebody waits in line now (1 is next)."""
    return WaitlistEntry.objects.filter(
        session_id=entry.session_id, position__lte=entry.position
    ).count()
