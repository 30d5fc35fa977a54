"""Insights figures about sessions: held and cancelled, registered → attended → stayed.

Definitions (docs/insights.md):
- a session is in the period when it was scheduled to start in it;
- *held*: it went live (`started_at` is set); *cancelled*: its state says so;
- *attended*: a registrant's attendance entered the room (`joined_at` set);
- the funnel and the *no-show rate* count the registrants of sessions not cancelled;
- *stayed*: that attendance was still there 10 minutes before the end (the host's "End meeting
  for all" or the scheduled end, whichever came first), judged by `left_at`, else by
  `last_seen_at`;
- *early joiners*: attendees and guests who arrived before the start (the entry window opens
  10 minutes before);
- *minutes in the room*: from `joined_at` to `left_at` (else `last_seen_at`), averaged over
  everyone who entered, hosts left out.

Every figure is an aggregate query: registrations and attendance are each grouped by session
in one pass (never a join of registrations by attendances), and the per-module rows and the
totals add those groups up.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.db.models import (
    CharField,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone

from programs.insights import PAGE_ROWS, Figure, Scope, Section, percentage
from sessions_app.models import Attendance, AttendanceRole, Registration, Session, SessionState

STAYED_MARGIN = timedelta(minutes=10)

_ENTERED = Q(joined_at__isnull=False)
_REGISTRANT_ENTERED = _ENTERED & Q(role=AttendanceRole.ATTENDEE, registration__isnull=False)
_LAST_MOMENT = Coalesce("left_at", "last_seen_at")


def _stayed_q(prefix: str = "session__") -> Q:
    until = Coalesce(F(f"{prefix}ended_at"), F(f"{prefix}ends_at")) - STAYED_MARGIN
    return _REGISTRANT_ENTERED & Q(stay_end__gte=until)


def _minutes_in_room() -> ExpressionWrapper:
    return ExpressionWrapper(_LAST_MOMENT - F("joined_at"), output_field=DurationField())


def sessions_in_scope(scope: Scope) -> QuerySet[Session]:
    return Session.objects.filter(
        program_id__in=scope.program_ids, starts_at__gte=scope.start, starts_at__lt=scope.end
    )


def _in_period(scope: Scope) -> dict[str, object]:
    """The filter of a session's rows (registrations, attendance) by its session's period: one
    join to the session, whose `starts_at` index picks the period's sessions first."""
    return {
        "session__program_id__in": scope.program_ids,
        "session__starts_at__gte": scope.start,
        "session__starts_at__lt": scope.end,
    }


def _minutes(duration: timedelta | None) -> float | None:
    return None if duration is None else round(duration.total_seconds() / 60, 1)


# `expected`: the registrants of a session that was not cancelled, the ones who could attend:
# the funnel and the no-show rate count those, not the registrants of a called-off session.
_FIGURES = ("registered", "expected", "attended", "stayed", "guests", "early", "in_room")


def session_groups(scope: Scope) -> dict[int, dict]:
    """Every session of the period with its funnel, by session id: two grouped queries, one
    pass over the period's registrations and one over its attendance (index-only scans on
    PostgreSQL). Per-session rows, per-module rows and the totals are all sums of these
    groups, so no table is read twice."""
    groups: dict[int, dict] = {}

    def group(session_id: int, module_id: int | None) -> dict:
        return groups.setdefault(
            session_id,
            {"module_id": module_id, **dict.fromkeys(_FIGURES, 0), "minutes_total": None},
        )

    for session_id, module_id, state, registered in (
        Registration.objects.filter(**_in_period(scope))
        .order_by()
        .values("session_id", "session__module_id", "session__state")
        .annotate(n=Count("pk"))
        .values_list("session_id", "session__module_id", "session__state", "n")
    ):
        figures = group(session_id, module_id)
        figures["registered"] = registered
        figures["expected"] = 0 if state == SessionState.CANCELLED else registered
    not_host = ~Q(role=AttendanceRole.HOST)
    for figures in (
        Attendance.objects.filter(**_in_period(scope))
        .annotate(stay_end=_LAST_MOMENT)
        .order_by()
        .values("session_id", "session__module_id")
        .annotate(
            attended=Count("pk", filter=_REGISTRANT_ENTERED),
            stayed=Count("pk", filter=_stayed_q()),
            guests=Count("pk", filter=Q(role=AttendanceRole.GUEST) & _ENTERED),
            early=Count("pk", filter=not_host & Q(arrived_at__lt=F("session__starts_at"))),
            in_room=Count("pk", filter=_ENTERED & not_host),
            minutes_total=Sum(_minutes_in_room(), filter=_ENTERED & not_host),
        )
    ):
        group(figures.pop("session_id"), figures.pop("session__module_id")).update(figures)
    return groups


def per_session(scope: Scope, groups: dict[int, dict]) -> tuple[list[Any], int]:
    """Each session of the period with its funnel, the latest first (the page shows the first
    `PAGE_ROWS`), and how many there are: two queries, the figures from `groups`, set on each
    session as attributes (so typed Any)."""
    ordered = (
        sessions_in_scope(scope).select_related("program", "module").order_by("-starts_at", "-pk")
    )
    total = sessions_in_scope(scope).count()
    chosen: list[Any] = list(ordered[:PAGE_ROWS] if scope.is_page else ordered)
    for session in chosen:
        figures = groups.get(session.pk, {})
        for key in _FIGURES:
            setattr(session, key, figures.get(key, 0))
        minutes_total = figures.get("minutes_total")
        session.average = minutes_total / session.in_room if session.in_room else None
    return chosen, total


def per_module(scope: Scope, groups: dict[int, dict]) -> list[dict]:
    """Sessions grouped by module (one grouped query), with the per-session `groups` added up
    by module."""
    rows: dict[object, dict] = {}
    titles: dict[object, str] = {}

    def row(key: object) -> dict:
        return rows.setdefault(
            key,
            {
                "module": titles.get(key) or "No module",
                "sessions": 0,
                "held": 0,
                "cancelled": 0,
                **dict.fromkeys(_FIGURES, 0),
                "minutes_total": timedelta(),
            },
        )

    for group in (
        sessions_in_scope(scope)
        .order_by()
        .values("module_id", "module__title")
        .annotate(
            sessions=Count("pk"),
            held=Count("pk", filter=Q(started_at__isnull=False)),
            cancelled=Count("pk", filter=Q(state=SessionState.CANCELLED)),
        )
    ):
        titles[group["module_id"]] = group["module__title"]
        row(group["module_id"]).update(
            sessions=group["sessions"], held=group["held"], cancelled=group["cancelled"]
        )
    for figures in groups.values():
        total = row(figures["module_id"])
        for key in _FIGURES:
            total[key] += figures[key]
        total["minutes_total"] += figures["minutes_total"] or timedelta()
    return sorted(rows.values(), key=lambda item: (item["module"] == "No module", item["module"]))


def session_totals(modules: list[dict]) -> dict[str, int | float | None]:
    """The period's figures: the sums of the per-module groups the database counted."""
    keys = ("sessions", "held", "cancelled", "registered", "attended", "stayed", "guests", "early")
    totals: dict[str, int | float | None] = {
        key: sum(module[key] for module in modules) for key in keys
    }
    in_room = sum(module["in_room"] for module in modules)
    minutes = sum((module["minutes_total"] or timedelta() for module in modules), timedelta())
    totals["average_minutes"] = _minutes(minutes / in_room) if in_room else None
    expected = sum(module["expected"] for module in modules)
    attended = sum(module["attended"] for module in modules)
    totals["expected"] = expected
    totals["no_show_rate"] = percentage(expected - attended, expected) if expected else None
    return totals


def sessions_section(scope: Scope) -> Section:
    groups = session_groups(scope)
    modules = per_module(scope, groups)
    totals = session_totals(modules)
    sessions, total = per_session(scope, groups)
    funnel = Figure(
        slug="funnel",
        title="Registered → attended → stayed",
        columns=["Stage", "People"],
        rows=[
            ["Registered", totals["expected"]],
            ["Attended", totals["attended"]],
            ["Stayed to the end", totals["stayed"]],
        ],
        chart="funnel",
        description="Registrants of the period's sessions that were not cancelled, who "
        "entered the room, and who were still there 10 minutes before the end.",
    )
    session_rows = [
        [
            timezone.localtime(session.starts_at, scope.zone).strftime("%Y-%m-%d %H:%M"),
            session.title,
            session.program.name,
            session.module.title if session.module else "",
            session.get_state_display(),
            session.registered,
            session.attended,
            session.stayed,
            # Nobody could attend a cancelled session: no no-show rate.
            percentage(session.expected - session.attended, session.expected),
            _minutes(session.average),
            session.guests,
            session.early,
        ]
        for session in sessions
    ]
    per_session_figure = Figure(
        slug="per-session",
        title="Per session",
        columns=[
            "Starts",
            "Session",
            "Program",
            "Module",
            "State",
            "Registered",
            "Attended",
            "Stayed",
            "No-show %",
            "Average minutes in the room",
            "Guests",
            "Early joiners",
        ],
        rows=session_rows,
        chart="bars",
        series=[5, 6, 7],
        label_column=1,
        total_rows=total if total > len(session_rows) else None,
        # Its registrants had no room to attend: not a session nobody came to.
        marks={
            index: "cancelled"
            for index, session in enumerate(sessions)
            if session.state == SessionState.CANCELLED
        },
    )
    module_figure = Figure(
        slug="per-module",
        title="Per module",
        columns=["Module", "Sessions", "Held", "Registered", "Attended", "Stayed"],
        rows=[
            [m["module"], m["sessions"], m["held"], m["registered"], m["attended"], m["stayed"]]
            for m in modules
        ],
        chart="bars",
        series=[3, 4, 5],
    )
    return Section(
        slug="sessions",
        title="Sessions",
        summary=[
            ("Sessions", totals["sessions"]),
            ("Held", totals["held"]),
            ("Cancelled", totals["cancelled"]),
            ("Registered", totals["registered"]),
            ("Attended", totals["attended"]),
            ("No-show rate", _percent_label(totals["no_show_rate"])),
            ("Average minutes in the room", totals["average_minutes"]),
            ("Guests", totals["guests"]),
            ("Early joiners", totals["early"]),
        ],
        figures=[funnel, per_session_figure, module_figure],
    )


def _percent_label(value: float | None) -> str:
    return "—" if value is None else f"{value:g} %"


def session_topics_q(program_ids: Sequence[int]) -> Q:
    """The outbox topics `session:<id>` of the programs' sessions, as one subquery."""
    topics = (
        Session.objects.filter(program_id__in=program_ids)
        .annotate(topic=Concat(Value("session:"), Cast("pk", output_field=CharField())))
        .values("topic")
    )
    return Q(topic__in=topics)
