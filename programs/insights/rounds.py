"""Insights figures about matching rounds: per round the opt-in rate, declines, no answers,
groups made and repeats avoided; the trend over the last rounds; members paused or left.

Definitions (docs/insights.md):
- a round is in the period when its match moment is in it (cancelled rounds left out);
- *asked*: its opt-in messages not cancelled (one per active member when it opened, plus
  newcomers); *no answer* = asked - yes - no;
- *repeats avoided*: pairs of the round's grouped members who had been grouped together in an
  earlier round of the program and were not grouped again; *repeated*: those grouped again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

from collections.abc import Sequence

from django.db import connection
from django.db.models import (
    CharField,
    Count,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone

from programs.insights import Figure, Scope, Section, counted, percentage
from programs.models import (
    Match,
    Member,
    MemberStatus,
    OptIn,
    OptInAnswer,
    Program,
    Round,
    RoundState,
)
from programs.rounds import OPT_IN_KIND
from reminders.models import Message, MessageStatus

TREND_ROUNDS = 12


def rounds_in_scope(scope: Scope) -> QuerySet[Round]:
    return Round.objects.filter(
        program_id__in=scope.program_ids,
        match_at__gte=scope.start,
        match_at__lt=scope.end,
    ).exclude(state=RoundState.CANCELLED)


def _count(queryset: QuerySet) -> Coalesce:
    rows = queryset.order_by().values("round").annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def _asked() -> Coalesce:
    topic = Concat(Value("round:"), Cast(OuterRef("pk"), output_field=CharField()))
    rows = (
        Message.objects.filter(topic=topic, kind=OPT_IN_KIND)
        .exclude(status=MessageStatus.CANCELLED)
        .order_by()
        .values("topic")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


class RoundFigures(TypedDict):
    """What `rounds_with_figures` annotates each round with."""

    asked: int
    yes: int
    no: int
    groups: int


def rounds_with_figures(scope: Scope) -> list[WithAnnotations[Round, RoundFigures]]:
    """The period's rounds, latest first, each with its counts: one query."""
    return list(
        rounds_in_scope(scope)
        .select_related("program")
        .annotate(
            asked=_asked(),
            yes=_count(OptIn.objects.filter(round=OuterRef("pk"), answer=OptInAnswer.YES)),
            no=_count(OptIn.objects.filter(round=OuterRef("pk"), answer=OptInAnswer.NO)),
            groups=_count(Match.objects.filter(round=OuterRef("pk"))),
        )
        .order_by("-match_at", "-pk")
    )


def repeat_figures(scope: Scope) -> dict[int, tuple[int, int]]:
    """Per matched round: (pairs of its grouped members who had met before, of those the
    pairs grouped together again). One query over earlier groups' pairs, never over every
    pair of a round's members."""
    rounds_sql, params = rounds_in_scope(scope).order_by().values("pk").query.sql_with_params()
    rounds = Round._meta.db_table
    matches = Match._meta.db_table
    members = Match.members.through._meta.db_table
    # Earlier pairs per round first (a few per group and round), then looked up in the
    # round's own groups: never every pair of a round's members.
    sql = f"""
        WITH part AS (
            SELECT m.round_id, mm.member_id, mm.match_id
            FROM {matches} m JOIN {members} mm ON mm.match_id = m.id
            WHERE m.round_id IN ({rounds_sql})
        ),
        pairs AS (
            SELECT DISTINCT r.id AS round_id, e1.member_id AS a, e2.member_id AS b
            FROM {rounds} r
            JOIN {rounds} er ON er.program_id = r.program_id AND er.match_at < r.match_at
            JOIN {matches} em ON em.round_id = er.id
            JOIN {members} e1 ON e1.match_id = em.id
            JOIN {members} e2 ON e2.match_id = em.id AND e1.member_id < e2.member_id
            WHERE r.id IN ({rounds_sql})
        )
        SELECT pairs.round_id, COUNT(*),
               COUNT(CASE WHEN p1.match_id = p2.match_id THEN 1 END)
        FROM pairs
        JOIN part p1 ON p1.round_id = pairs.round_id AND p1.member_id = pairs.a
        JOIN part p2 ON p2.round_id = pairs.round_id AND p2.member_id = pairs.b
        GROUP BY pairs.round_id
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *params])
        return {int(round_id): (int(met), int(again)) for round_id, met, again in cursor.fetchall()}


def member_figures(scope: Scope) -> dict[str, int]:
    members = Member.objects.filter(program_id__in=scope.program_ids)
    in_period = Q(status_changed_at__gte=scope.start, status_changed_at__lt=scope.end)
    return counted(
        members,
        active=Count("pk", filter=Q(status=MemberStatus.ACTIVE)),
        paused=Count("pk", filter=Q(status=MemberStatus.PAUSED)),
        left=Count("pk", filter=Q(status=MemberStatus.LEFT)),
        paused_in_period=Count("pk", filter=Q(status=MemberStatus.PAUSED) & in_period),
        left_in_period=Count("pk", filter=Q(status=MemberStatus.LEFT) & in_period),
    )


def rounds_section(scope: Scope) -> Section:
    rounds = rounds_with_figures(scope)
    repeats = repeat_figures(scope)
    members = member_figures(scope)
    rows = []
    for round_ in rounds:
        met, again = repeats.get(round_.pk, (0, 0))
        asked = round_.asked if round_.uses_opt_in else None
        no_answer = max(asked - round_.yes - round_.no, 0) if asked is not None else None
        is_matched = round_.state == RoundState.MATCHED
        rows.append(
            [
                timezone.localtime(round_.match_at, scope.zone).strftime("%Y-%m-%d %H:%M"),
                round_.program.name,
                round_.get_state_display(),
                asked,
                round_.yes if round_.uses_opt_in else None,
                round_.no if round_.uses_opt_in else None,
                no_answer,
                percentage(round_.yes, asked) if asked else None,
                round_.groups if is_matched else None,
                met - again if is_matched else None,
                again if is_matched else None,
            ]
        )
    trend = [[row[0], row[7]] for row in reversed(rows[:TREND_ROUNDS]) if row[7] is not None]
    return Section(
        slug="rounds",
        title="Rounds",
        summary=[
            ("Rounds", len(rows)),
            ("Matched", sum(1 for round_ in rounds if round_.state == RoundState.MATCHED)),
            ("Active members", members["active"]),
            ("Paused (in the period)", f"{members['paused']} ({members['paused_in_period']})"),
            ("Left (in the period)", f"{members['left']} ({members['left_in_period']})"),
        ],
        figures=[
            Figure(
                slug="opt-in-trend",
                title="Opt-in rate over the last rounds",
                columns=["Match moment", "Opt-in %"],
                rows=trend,
                chart="line",
                is_percentage=True,
            ),
            Figure(
                slug="per-round",
                title="Per round",
                columns=[
                    "Match moment",
                    "Program",
                    "State",
                    "Asked",
                    "Yes",
                    "No",
                    "No answer",
                    "Opt-in %",
                    "Groups",
                    "Repeats avoided",
                    "Repeated",
                ],
                rows=rows,
                chart="bars",
                series=[4, 5, 6],
            ),
        ],
    )


def round_topics_q(program_ids: Sequence[int]) -> Q:
    topics = (
        Round.objects.filter(program_id__in=program_ids)
        .annotate(topic_key=Concat(Value("round:"), Cast("pk", output_field=CharField())))
        .values("topic_key")
    )
    program_topics = (
        Program.objects.filter(pk__in=program_ids)
        .annotate(topic=Concat(Value("program:"), Cast("pk", output_field=CharField())))
        .values("topic")
    )
    return Q(topic__in=topics) | Q(topic__in=program_topics)
