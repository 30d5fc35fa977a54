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
    # The chart: when each yes came, from the opt-in e-mail (`opened_at`) until `chart_until`
    # (now, or the match), on an axis to the match moment; `roster` is its reference line.
    yes_moments: tuple[datetime, ...]
    chart_start: datetime | None
    chart_until: datetime
    roster: int

    @property
    def has_chart(self) -> bool:
        return self.chart_start is not None and self.chart_until > self.chart_start


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
    yes_moments = tuple(
        OptIn.objects.filter(round=round_, answer=OptInAnswer.YES)
        .order_by("answered_at")
        .values_list("answered_at", flat=True)
    )
    until = min(now, round_.match_at) if round_.matched_at is None else round_.matched_at
    return RoundStats(
        opt_ins=answers["yes"],
        declines=answers["no"],
        no_answer=max(messages["invited"] - answers["yes"] - answers["no"], 0),
        invited=messages["invited"],
        messages_sent=messages["sent"],
        messages_pending=messages["pending"],
        match_messages_sent=messages["match_sent"],
        groups=Match.objects.filter(round=round_).count(),
        yes_moments=yes_moments,
        chart_start=round_.opened_at,
        chart_until=until,
        # Everyone asked is the roster the round opened with (active members then).
        roster=messages["invited"],
    )


def round_groups(*, round_: Round) -> list[Match]:
    return list(Match.objects.filter(round=round_).prefetch_related("members").order_by("number"))


def member_partners_in_round(*, round_: Round, member: Member) -> list[Member] | None:
    """Whom `member` was matched with in `round_`, or None if they were not matched."""
    match = Match.objects.filter(round=round_, members=member).first()
    if match is None:
        return None
    return list(match.members.exclude(pk=member.pk).order_by("name", "pk"))
