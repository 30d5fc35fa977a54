"""Insights figures about commitments: created, active, finished, ended early; check-ins by
day of the commitment, best streaks, ratings over time, reflections; per module.

Definitions (docs/insights.md):
- a commitment is in the period when it was created in it;
- *active*: not ended early and its last day (`ends_on`) not yet past in the participant's
  zone; *finished*: not ended early and past its last day; *ended early*: `ended_early_at` set;
- *check-in rate on day n*: done check-ins on day n of their commitment, over the commitments
  that had reached day n (created at least n - 1 days ago in their zone and lasting n days or
  more); a commitment ended early still counts after its end, so the curve shows the drop-off;
- *best streak*: the longest run of consecutive done days of a commitment;
- *made from*: the way in the participant used (`Commitment.source`: Session ID, QR code,
  direct link, or unknown).

"Today in the participant's zone" is computed in SQL as a `CASE` over the zones the
commitments use (one small query finds them), so it works on PostgreSQL and SQLite alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Concat, TruncWeek

from commitments.models import CheckIn, Commitment, CommitmentSource
from programs.insights import Cell, Figure, Scope, Section, counted, percentage
from programs.timezones import is_valid_time_zone


def commitments_in_scope(scope: Scope) -> QuerySet[Commitment]:
    return Commitment.objects.filter(
        module__program_id__in=scope.program_ids,
        created_at__gte=scope.start,
        created_at__lt=scope.end,
    )


def _today_expression(scope: Scope, queryset: QuerySet[Commitment]) -> Case | Value:
    """Each commitment's local today, as SQL: one query for the zones in use."""
    from zoneinfo import ZoneInfo

    zones = [
        name
        for name in queryset.order_by().values_list("time_zone", flat=True).distinct()
        if is_valid_time_zone(name)
    ]
    default = Value(scope.now.date(), output_field=DateField())
    if not zones:
        return default
    return Case(
        *(
            When(time_zone=name, then=Value(scope.now.astimezone(ZoneInfo(name)).date()))
            for name in zones
        ),
        default=default,
        output_field=DateField(),
    )


def _days(duration: timedelta | int | None) -> int:
    if duration is None:
        return 0
    if isinstance(duration, timedelta):
        return duration.days
    return int(duration)


def _source_counts() -> dict[str, Count]:
    """One conditional count per way in (`source_session_id`, `source_qr_code`, …)."""
    return {f"source_{source}": Count("pk", filter=Q(source=source)) for source in CommitmentSource}


def commitment_totals(scope: Scope, today: Case | Value) -> dict[str, int]:
    not_ended = Q(ended_early_at__isnull=True)
    return counted(
        commitments_in_scope(scope).annotate(local_today=today),
        created=Count("pk"),
        active=Count("pk", filter=not_ended & Q(ends_on__gte=F("local_today"))),
        finished=Count("pk", filter=not_ended & Q(ends_on__lt=F("local_today"))),
        ended_early=Count("pk", filter=Q(ended_early_at__isnull=False)),
        reflections=Count("pk", filter=~Q(reflection="")),
        **_source_counts(),
    )


def checkin_groups(scope: Scope) -> list[dict]:
    """The period's check-ins counted in one scan, grouped by module, day of the commitment,
    week and done: the curve, the ratings and the per-module figures all add these up (a few
    hundred groups), instead of scanning the check-ins three times."""
    return list(
        CheckIn.objects.filter(commitment__in=commitments_in_scope(scope))
        .order_by()
        .annotate(
            offset=ExpressionWrapper(
                F("day") - F("commitment__starts_on"), output_field=DurationField()
            ),
            week=TruncWeek("day", output_field=DateField()),
        )
        .values("commitment__module_id", "offset", "week", "is_done")
        .annotate(n=Count("pk"), rated=Count("rating"), rating_sum=Sum("rating"))
    )


def checkin_curve(scope: Scope, today: Case | Value, groups: list[dict]) -> list[list]:
    """Per day number: commitments that reached it, done check-ins on it, the rate."""
    commitments = commitments_in_scope(scope)
    elapsed = ExpressionWrapper(today - F("starts_on"), output_field=DurationField())
    reached_buckets = (
        commitments.order_by()
        .annotate(elapsed=elapsed)
        .values("duration_days", "elapsed")
        .annotate(n=Count("pk"))
    )
    done_by_day: dict[int, int] = {}
    for group in groups:
        if group["is_done"]:
            number = _days(group["offset"]) + 1
            done_by_day[number] = done_by_day.get(number, 0) + group["n"]
    # How many commitments reached at least day n: a suffix sum over the (few) buckets of
    # "reached day k" counted by the database.
    reached_exactly: dict[int, int] = {}
    for group in reached_buckets:
        reached = min(group["duration_days"], _days(group["elapsed"]) + 1)
        if reached >= 1:
            reached_exactly[reached] = reached_exactly.get(reached, 0) + group["n"]
    if not reached_exactly:
        return []
    rows: list[list] = []
    remaining = sum(reached_exactly.values())
    for day_number in range(1, max(reached_exactly) + 1):
        done = done_by_day.get(day_number, 0)
        rows.append([day_number, remaining, done, percentage(done, remaining)])
        remaining -= reached_exactly.get(day_number, 0)
    return rows


def _day_number_sql(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"({column} - DATE '2000-01-01')"
    return f"CAST(julianday({column}) AS INTEGER)"


def best_streaks(scope: Scope) -> dict[int, int]:
    """How many commitments have each best streak (longest run of done days): one query.

    Consecutive days are found the classic way: a day's number minus its row number within
    the commitment is the same along a run. Commitments without a done day are in 0.
    """
    commitments_sql, params = (
        commitments_in_scope(scope).order_by().values("pk").query.sql_with_params()
    )
    table = CheckIn._meta.db_table
    # Table names come from the models and the subquery from the ORM, with its own params.
    sql = f"""
        SELECT best, COUNT(*) FROM (
            SELECT commitment_id, MAX(run) AS best FROM (
                SELECT commitment_id, COUNT(*) AS run FROM (
                    SELECT commitment_id,
                           {_day_number_sql("day")}
                           - ROW_NUMBER() OVER (PARTITION BY commitment_id ORDER BY day) AS island
                    FROM {table}
                    WHERE is_done AND commitment_id IN ({commitments_sql})
                ) AS days GROUP BY commitment_id, island
            ) AS runs GROUP BY commitment_id
        ) AS bests GROUP BY best ORDER BY best
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {int(best): int(count) for best, count in cursor.fetchall()}


def ratings_by_week(groups: list[dict]) -> list[list]:
    weeks: dict[str, list[int]] = {}
    for group in groups:
        if group["rated"]:
            total = weeks.setdefault(_iso_day(group["week"]), [0, 0])
            total[0] += group["rating_sum"]
            total[1] += group["rated"]
    return [
        [week, round(rating_sum / rated, 2), rated]
        for week, (rating_sum, rated) in sorted(weeks.items())
    ]


def _iso_day(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    return str(value)[:10]


def per_module(
    scope: Scope, today: Case | Value, groups: list[dict]
) -> tuple[list[list], list[list]]:
    """Per module: the outcome rows and the rows of how the commitments were made (by
    source), from one grouped query."""
    not_ended = Q(ended_early_at__isnull=True)
    checkins: dict[int, dict[str, int]] = {}
    for group in groups:
        total = checkins.setdefault(
            group["commitment__module_id"], {"done": 0, "rated": 0, "rating_sum": 0}
        )
        total["done"] += group["n"] if group["is_done"] else 0
        total["rated"] += group["rated"]
        total["rating_sum"] += group["rating_sum"] or 0
    rows = []
    source_rows = []
    for group in (
        commitments_in_scope(scope)
        .annotate(local_today=today)
        .order_by()
        .values("module_id", "module__title")
        .annotate(
            created=Count("pk"),
            active=Count("pk", filter=not_ended & Q(ends_on__gte=F("local_today"))),
            finished=Count("pk", filter=not_ended & Q(ends_on__lt=F("local_today"))),
            ended_early=Count("pk", filter=Q(ended_early_at__isnull=False)),
            reflections=Count("pk", filter=~Q(reflection="")),
            **_source_counts(),
        )
        .order_by("module__title", "module_id")
    ):
        done = checkins.get(group["module_id"], {})
        rating = done["rating_sum"] / done["rated"] if done.get("rated") else None
        rows.append(
            [
                group["module__title"],
                group["created"],
                group["active"],
                group["finished"],
                group["ended_early"],
                done.get("done", 0),
                None if rating is None else round(rating, 2),
                group["reflections"],
            ]
        )
        source_rows.append(
            [group["module__title"], *(group[f"source_{source}"] for source in CommitmentSource)]
        )
    return rows, source_rows


def commitments_section(scope: Scope) -> Section:
    today = _today_expression(scope, commitments_in_scope(scope))
    totals = commitment_totals(scope, today)
    streaks = best_streaks(scope)
    groups = checkin_groups(scope)
    with_streak = sum(streaks.values())
    streak_rows: list[list[Cell]] = (
        [[0, totals["created"] - with_streak]] if totals["created"] else []
    )
    streak_rows += [[best, count] for best, count in sorted(streaks.items())]
    module_rows, source_rows = per_module(scope, today, groups)
    return Section(
        slug="commitments",
        title="Commitments",
        summary=[
            ("Created", totals["created"]),
            ("Active", totals["active"]),
            ("Finished", totals["finished"]),
            ("Ended early", totals["ended_early"]),
            ("Reflections written", totals["reflections"]),
            ("Made by Session ID", totals["source_session_id"]),
            ("Made by QR code", totals["source_qr_code"]),
            ("Made by direct link", totals["source_direct_link"]),
            ("Way in not recorded", totals["source_unknown"]),
        ],
        figures=[
            Figure(
                slug="check-in-rate",
                title="Check-in rate by day of the commitment",
                columns=["Day", "Commitments that reached it", "Done check-ins", "Rate %"],
                rows=checkin_curve(scope, today, groups),
                chart="line",
                series=[3],
                is_percentage=True,
                description="Done check-ins on each day of a commitment, as a share of the "
                "commitments that had reached that day.",
            ),
            Figure(
                slug="streaks",
                title="Best streaks",
                columns=["Longest run of done days", "Commitments"],
                rows=streak_rows,
                chart="bars",
            ),
            Figure(
                slug="ratings",
                title="Ratings over time",
                columns=["Week of", "Average rating (1-10)", "Ratings"],
                rows=ratings_by_week(groups),
                chart="line",
                series=[1],
                y_top=10,
            ),
            Figure(
                slug="per-module",
                title="Per module",
                columns=[
                    "Module",
                    "Created",
                    "Active",
                    "Finished",
                    "Ended early",
                    "Done check-ins",
                    "Average rating",
                    "Reflections",
                ],
                rows=module_rows,
                chart="bars",
                series=[2, 3, 4],
            ),
            Figure(
                slug="sources",
                title="How commitments were made, per module",
                columns=["Module", *(source.label for source in CommitmentSource)],
                rows=source_rows,
                chart="bars",
                series=list(range(1, len(CommitmentSource) + 1)),
                description="The way in each participant used: a typed Session ID, the QR "
                "code, or the direct link. Unknown: made before this was recorded, or from a "
                "QR code or link handed out before they carried a marker.",
            ),
        ],
    )


def commitment_topics_q(program_ids: Sequence[int]) -> Q:
    """The outbox topics `commitment:<id>` of the programs' commitments, as one subquery."""
    topics = (
        Commitment.objects.filter(module__program_id__in=program_ids)
        .annotate(topic=Concat(Value("commitment:"), Cast("pk", output_field=CharField())))
        .values("topic")
    )
    return Q(topic__in=topics)
