"""Reads for the roster and matching rounds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from programs.models import Match, Member, MemberStatus, OptIn, OptInAnswer, Program, Round
from programs.rounds import MATCH_KIND, OPT_IN_KIND
from programs.search import search_text
from programs.selectors import get_in_hosted_program_or_404
from reminders.models import Message, MessageStatus


def get_hosted_round_or_404(*, user: User | AnonymousUser, program_id: int, round_id: int) -> Round:
    return get_in_hosted_program_or_404(Round, user=user, program_id=program_id, pk=round_id)


def get_hosted_member_or_404(
    *, user: User | AnonymousUser, program_id: int, member_id: int
) -> Member:
    return get_in_hosted_program_or_404(Member, user=user, program_id=program_id, pk=member_id)


def program_members(*, program: Program, search: str = "") -> QuerySet[Member]:
    members = Member.objects.filter(program=program).order_by("name", "id")
    search = search_text(search)
    if search:
        members = members.filter(
            Q(name__icontains=search) | Q(email__icontains=search) | Q(category__icontains=search)
        )
    return members


def member_status_counts(*, program: Program) -> dict[str, int]:
    counts = dict.fromkeys(MemberStatus.values, 0)
    for row in Member.objects.filter(program=program).values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    return counts


def _count_per_round(queryset: QuerySet) -> Coalesce:
    """The rows of `queryset` that belong to the outer round, counted in a subquery."""
    counted = (
        queryset.filter(round=OuterRef("pk"))
        .order_by()
        .values("round")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(counted), 0)


def program_rounds(*, program: Program) -> QuerySet[Round]:
    # One subquery per count: joining opt-ins and matches in one GROUP BY would multiply them
    # (a round with 500 yeses and 250 groups is 125,000 joined rows before DISTINCT).
    return Round.objects.filter(program=program).annotate(
        yes_count=_count_per_round(OptIn.objects.filter(answer=OptInAnswer.YES)),
        group_count=_count_per_round(Match.objects.all()),
    )


@dataclass(frozen=True)
class RoundStats:
    opt_ins: int
    declines: int
    no_answer: int
    invited: int
    messages_sent: int
    messages_pending: int
    match_messages_sent: int
    groups: int
    chart_points: str
    chart_max: int


CHART_WIDTH = 300
CHART_HEIGHT = 100


def _chart(*, answered: list[datetime], start: datetime | None, end: datetime) -> tuple[str, int]:
    """An SVG polyline of the cumulative opt-ins from `start` to `end`, in a 300 by 100 box."""
    if start is None or end <= start:
        return "", len(answered)
    span = (end - start).total_seconds()
    top = max(len(answered), 1)
    points = [f"0,{CHART_HEIGHT}"]
    for count, moment in enumerate(sorted(answered), start=1):
        x = max(0.0, min(1.0, (moment - start).total_seconds() / span)) * CHART_WIDTH
        y = CHART_HEIGHT - count / top * CHART_HEIGHT
        points.append(f"{x:.1f},{CHART_HEIGHT - (count - 1) / top * CHART_HEIGHT:.1f}")
        points.append(f"{x:.1f},{y:.1f}")
    points.append(f"{CHART_WIDTH},{CHART_HEIGHT - len(answered) / top * CHART_HEIGHT:.1f}")
    return " ".join(points), len(answered)


def round_stats(*, round_: Round, now: datetime) -> RoundStats:
    answers = OptIn.objects.filter(round=round_).aggregate(
        yes=Count("id", filter=Q(answer=OptInAnswer.YES)),
        no=Count("id", filter=Q(answer=OptInAnswer.NO)),
    )
    messages = Message.objects.filter(topic=round_.topic).aggregate(
        invited=Count("id", filter=Q(kind=OPT_IN_KIND) & ~Q(status=MessageStatus.CANCELLED)),
        sent=Count("id", filter=Q(status=MessageStatus.SENT)),
        pending=Count("id", filter=Q(status__in=[MessageStatus.PENDING, MessageStatus.SENDING])),
        match_sent=Count("id", filter=Q(kind=MATCH_KIND, status=MessageStatus.SENT)),
    )
    yes_moments = list(
        OptIn.objects.filter(round=round_, answer=OptInAnswer.YES).values_list(
            "answered_at", flat=True
        )
    )
    end = min(now, round_.match_at) if round_.matched_at is None else round_.matched_at
    points, top = _chart(answered=yes_moments, start=round_.opened_at, end=end)
    return RoundStats(
        opt_ins=answers["yes"],
        declines=answers["no"],
        no_answer=max(messages["invited"] - answers["yes"] - answers["no"], 0),
        invited=messages["invited"],
        messages_sent=messages["sent"],
        messages_pending=messages["pending"],
        match_messages_sent=messages["match_sent"],
        groups=Match.objects.filter(round=round_).count(),
        chart_points=points,
        chart_max=top,
    )


def round_groups(*, round_: Round) -> list[Match]:
    return list(Match.objects.filter(round=round_).prefetch_related("members").order_by("number"))


def member_match_in_round(*, round_: Round, member: Member) -> Match | None:
    return Match.objects.filter(round=round_, members=member).prefetch_related("members").first()
