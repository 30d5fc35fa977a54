"""Writes for matching rounds: schedule, reschedule, cancel, open, match, answer, advance.

Each service runs in one transaction and takes `now`. Moments are driven by `rounds_advance`,
which beat runs every `ROUNDS_ADVANCE_INTERVAL_SECONDS`: no Celery ETA. A round changes state
only under a row lock on itself, after checking the state it expects, so two workers advancing
the same round do the work once.
"""

from __future__ import annotations

import logging
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.db import connection, transaction

from programs.models import (
    Match,
    Member,
    MemberStatus,
    OptIn,
    OptInAnswer,
    Program,
    Recurrence,
    Round,
    RoundState,
)
from programs.round_preview import round_grouping
from reminders.services import WantedMessage, outbox_reconcile

logger = logging.getLogger(__name__)

OPT_IN_KIND = "opt_in"
MATCH_KIND = "match"


class RoundError(ValueError):
    """A change the round's state or the given moments do not allow; the message says why."""


def local_plus_weeks(*, instant: datetime, time_zone: str, weeks: int) -> datetime:
    """The same local wall-clock time `weeks` later in `time_zone`, as a UTC instant.

    Adding days to the *local* time (not to the UTC instant) keeps 09:00 at 09:00 across a
    daylight-saving change. A local time that does not exist that day (the hour skipped in
    spring) resolves forwards, as zoneinfo does with fold=0.
    """
    zone = ZoneInfo(time_zone)
    local = instant.astimezone(zone).replace(tzinfo=None) + timedelta(weeks=weeks)
    return local.replace(tzinfo=zone).astimezone(UTC)


def series_occurrence(*, first: datetime, time_zone: str, weeks: int, index: int) -> datetime:
    """Occurrence `index` (0 is the first) of a series that repeats every `weeks` weeks.

    Computed from the series' first local date and time, never from the previous occurrence:
    one occurrence that falls into a skipped hour (resolved forwards, as zoneinfo does with
    fold=0) does not move the ones after it, which are again at the first one's wall time. A
    repeated wall time is its first occurrence.
    """
    zone = ZoneInfo(time_zone)
    local = first.astimezone(zone).replace(tzinfo=None) + timedelta(weeks=weeks * index)
    return local.replace(tzinfo=zone).astimezone(UTC)


def round_series_first(round_: Round) -> Round:
    """The first round of `round_`'s series (following `previous_round`), in two queries."""
    table = Round._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE chain(id, previous_id, depth) AS ("  # noqa: S608
            f"SELECT id, previous_round_id, 0 FROM {table} WHERE id = %s "
            f"UNION ALL SELECT r.id, r.previous_round_id, chain.depth + 1 FROM {table} AS r "
            "JOIN chain ON r.id = chain.previous_id) "
            "SELECT id FROM chain ORDER BY depth DESC LIMIT 1",
            [round_.pk],
        )
        (first_id,) = cursor.fetchone()
    return round_ if first_id == round_.pk else Round.objects.get(pk=first_id)


def _check_moments(*, opt_in_at: datetime | None, match_at: datetime, now: datetime) -> None:
    if match_at <= now:
        raise RoundError("The match moment must be in the future.")
    if opt_in_at is not None and opt_in_at >= match_at:
        raise RoundError("The opt-in must go out before the match moment.")


@transaction.atomic
def round_schedule(
    *,
    program: Program,
    match_at: datetime,
    opt_in_at: datetime | None,
    time_zone: str,
    recurrence_weeks: int = Recurrence.ONCE,
    created_by: User | None = None,
    now: datetime,
) -> Round:
    """Schedule a round; with opt-in off `opt_in_at` is ignored. An opt-in due now opens it."""
    if not program.is_opt_in_enabled:
        opt_in_at = None
    elif opt_in_at is not None and opt_in_at < now:
        opt_in_at = now
    _check_moments(opt_in_at=opt_in_at, match_at=match_at, now=now)
    round_ = Round.objects.create(
        program=program,
        match_at=match_at,
        opt_in_at=opt_in_at,
        time_zone=time_zone,
        recurrence_weeks=recurrence_weeks,
        created_by=created_by,
        seed=secrets.randbits(62),
    )
    if opt_in_at is not None and opt_in_at <= now:
        _open(round_=round_, now=now)
    return round_


@transaction.atomic
def round_reschedule(
    *, round_: Round, match_at: datetime, opt_in_at: datetime | None, now: datetime
) -> Round:
    """Move the match moment (and the opt-in moment, while it has not gone out)."""
    round_ = Round.objects.select_for_update().select_related("program").get(pk=round_.pk)
    if not round_.is_changeable:
        raise RoundError(f"This round is {round_.get_state_display().lower()}: it cannot move.")
    if round_.state == RoundState.OPEN:
        if opt_in_at != round_.opt_in_at:
            raise RoundError("The opt-in messages went out already; only the match can move.")
    elif not round_.program.is_opt_in_enabled:
        opt_in_at = None
    _check_moments(opt_in_at=opt_in_at, match_at=match_at, now=now)
    round_.match_at = match_at
    round_.opt_in_at = opt_in_at
    round_.sequence += 1
    round_.save(update_fields=["match_at", "opt_in_at", "sequence", "updated_at"])
    if round_.state == RoundState.OPEN:
        # Pending opt-in messages now expire at the new match moment.
        _plan_opt_in_messages(round_=round_, now=now)
    return round_


@transaction.atomic
def round_cancel(*, round_: Round, now: datetime) -> Round:
    """Cancel a scheduled or open round: nothing more is sent, and the series stops here."""
    round_ = Round.objects.select_for_update().get(pk=round_.pk)
    if not round_.is_changeable:
        raise RoundError(f"This round is {round_.get_state_display().lower()} already.")
    round_.state = RoundState.CANCELLED
    round_.cancelled_at = now
    round_.save(update_fields=["state", "cancelled_at", "updated_at"])
    outbox_reconcile(topic=round_.topic, wanted=[], now=now)
    return round_


def _plan_opt_in_messages(*, round_: Round, now: datetime) -> None:
    members = Member.objects.filter(program_id=round_.program_id, status=MemberStatus.ACTIVE)
    wanted = [
        WantedMessage(
            kind=OPT_IN_KIND,
            recipient_email=member.email,
            recipient_name=member.name,
            dedupe_key=f"round:{round_.pk}:opt_in:{member.pk}",
            due_at=round_.opened_at or now,
            expires_at=round_.match_at,
            about_model=Member,
            about_pk=member.pk,
            payload={"round_id": round_.pk},
        )
        for member in members.only("id", "email", "name")
    ]
    outbox_reconcile(topic=round_.topic, wanted=wanted, now=now, kinds=[OPT_IN_KIND])


@transaction.atomic
def program_open_rounds_replan(*, program_id: int, now: datetime) -> None:
    """After a roster change, make the open rounds' opt-in messages match the active members:
    someone added (or back from a pause) is asked too; unsent ones to someone who paused,
    left or was deactivated are cancelled."""
    for round_ in Round.objects.select_for_update().filter(
        program_id=program_id, state=RoundState.OPEN
    ):
        _plan_opt_in_messages(round_=round_, now=now)


def _open(*, round_: Round, now: datetime) -> None:
    round_.state = RoundState.OPEN
    round_.opened_at = now
    round_.save(update_fields=["state", "opened_at", "updated_at"])
    _plan_opt_in_messages(round_=round_, now=now)


@transaction.atomic
def round_open(*, round_id: int, now: datetime) -> bool:
    """Send the opt-in messages of a round whose opt-in moment has come; False if not due."""
    round_ = Round.objects.select_for_update().filter(pk=round_id).first()
    if (
        round_ is None
        or round_.state != RoundState.SCHEDULED
        or round_.opt_in_at is None
        or round_.opt_in_at > now
    ):
        return False
    _open(round_=round_, now=now)
    return True


def previous_pairs(*, program_id: int, exclude_round_id: int | None = None) -> set[frozenset[int]]:
    """Every pair of members grouped together in an earlier round of the program."""
    memberships = Match.members.through.objects.filter(match__round__program_id=program_id)
    if exclude_round_id is not None:
        memberships = memberships.exclude(match__round_id=exclude_round_id)
    groups: dict[int, list[int]] = defaultdict(list)
    for match_id, member_id in memberships.values_list("match_id", "member_id").iterator(
        chunk_size=5000
    ):
        groups[match_id].append(member_id)
    pairs: set[frozenset[int]] = set()
    for members in groups.values():
        for i, first in enumerate(members):
            for second in members[i + 1 :]:
                pairs.add(frozenset((first, second)))
    return pairs


@dataclass
class MatchResult:
    round: Round
    groups: list[list[int]] = field(default_factory=list)
    unmatched: list[int] = field(default_factory=list)
    next_round: Round | None = None


@transaction.atomic
def round_match(*, round_id: int, now: datetime) -> MatchResult | None:
    """Group the round's members, exactly once; None when it is not (or no longer) due.

    1. Lock the round row and check it is still scheduled or open and due: a second worker
       waits for the first to commit, then finds it matched and does nothing.
    2. Group the members who said yes (every active member when the round has no opt-in),
       avoiding earlier pairs of the program when the program asks for it.
    3. Store the groups, mark the round matched, plan one match message per member (a lone
       member is told there was nobody to match this time), cancel unsent opt-in messages.
    4. Create the next round of the series at the same local time.
    """
    round_ = (
        Round.objects.select_for_update(of=("self",))
        .select_related("program")
        .filter(pk=round_id)
        .first()
    )
    if round_ is None or not round_.is_changeable or round_.match_at > now:
        return None
    # The grouping the preview shows: the same members, history, seed and the host's swaps.
    grouping = round_grouping(round_=round_)
    result = MatchResult(round=round_)
    result.groups = grouping.groups
    result.unmatched = grouping.unmatched
    matches = Match.objects.bulk_create(
        [Match(round=round_, number=number) for number in range(1, len(result.groups) + 1)]
    )
    Membership = Match.members.through
    Membership.objects.bulk_create(
        [
            Membership(match_id=match.pk, member_id=member_id)
            for match, group in zip(matches, result.groups, strict=True)
            for member_id in group
        ],
        batch_size=2000,
    )
    round_.state = RoundState.MATCHED
    round_.matched_at = now
    round_.save(update_fields=["state", "matched_at", "updated_at"])

    match_of = {
        member_id: match.pk
        for match, group in zip(matches, result.groups, strict=True)
        for member_id in group
    }
    people = Member.objects.filter(pk__in=[*match_of, *result.unmatched]).only("email", "name")
    outbox_reconcile(
        topic=round_.topic,
        wanted=[
            WantedMessage(
                kind=MATCH_KIND,
                recipient_email=member.email,
                recipient_name=member.name,
                dedupe_key=f"round:{round_.pk}:match:{member.pk}",
                due_at=now,
                # About the group (which the renderer loads with its round and members), or
                # about the member for the one nobody could be matched with.
                about_model=Match if member.pk in match_of else Member,
                about_pk=match_of.get(member.pk, member.pk),
                payload={"round_id": round_.pk, "member_id": member.pk},
            )
            for member in people
        ],
        now=now,
        kinds=[MATCH_KIND],
    )
    outbox_reconcile(topic=round_.topic, wanted=[], now=now, kinds=[OPT_IN_KIND])
    result.next_round = _create_next_round(round_=round_, now=now)
    return result


def _create_next_round(*, round_: Round, now: datetime) -> Round | None:
    weeks = round_.recurrence_weeks
    if not weeks or Round.objects.filter(previous_round=round_).exists():
        return None
    first = round_series_first(round_)
    zone = round_.time_zone
    period = timedelta(weeks=weeks)
    # This round's place in the series (a daylight-saving shift or a moved round is hours, not
    # weeks), then the next occurrence, skipping those already over (workers down for weeks).
    index = round((round_.match_at - first.match_at) / period) + 1
    match_at = series_occurrence(first=first.match_at, time_zone=zone, weeks=weeks, index=index)
    while match_at <= now:
        index += 1
        match_at = series_occurrence(first=first.match_at, time_zone=zone, weeks=weeks, index=index)
    if round_.opt_in_at is None:
        opt_in_at = None
    elif first.opt_in_at is not None:
        opt_in_at = series_occurrence(
            first=first.opt_in_at, time_zone=zone, weeks=weeks, index=index
        )
    else:  # the series' first round had no opt-in: keep this round's distance from the match
        opt_in_at = match_at - (round_.match_at - round_.opt_in_at)
    if not round_.program.is_opt_in_enabled:
        opt_in_at = None
    return Round.objects.create(
        program_id=round_.program_id,
        match_at=match_at,
        opt_in_at=opt_in_at,
        time_zone=round_.time_zone,
        recurrence_weeks=weeks,
        previous_round=round_,
        created_by_id=round_.created_by_id,
        seed=secrets.randbits(62),
    )


@dataclass
class AdvanceResult:
    opened: list[int] = field(default_factory=list)
    matched: list[int] = field(default_factory=list)


def rounds_advance(*, now: datetime) -> AdvanceResult:
    """Open every round whose opt-in moment has come and match every round that is due.

    Each round is handled in its own transaction, so one failing round does not hold up the
    rest; safe to run in several workers at once.
    """
    result = AdvanceResult()
    due_to_open = Round.objects.filter(
        state=RoundState.SCHEDULED, opt_in_at__lte=now, match_at__gt=now
    ).values_list("id", flat=True)
    for round_id in list(due_to_open):
        try:
            if round_open(round_id=round_id, now=now):
                result.opened.append(round_id)
        except Exception:
            logger.exception("opening round %s failed", round_id)
    due_to_match = Round.objects.filter(
        state__in=[RoundState.SCHEDULED, RoundState.OPEN], match_at__lte=now
    ).values_list("id", flat=True)
    for round_id in list(due_to_match):
        try:
            if round_match(round_id=round_id, now=now) is not None:
                result.matched.append(round_id)
        except Exception:
            logger.exception("matching round %s failed", round_id)
    return result


@dataclass(frozen=True)
class AnswerOutcome:
    recorded: bool
    answer: str
    state: str


@transaction.atomic
def opt_in_answer(*, round_: Round, member: Member, answer: str, now: datetime) -> AnswerOutcome:
    """Record (or change) a member's Yes/No while the round is open; idempotent.

    The round row is locked so an answer never slips in while the round is being matched.
    """
    if answer not in OptInAnswer.values:
        raise RoundError(f"An answer is yes or no, not {answer!r}.")
    round_ = Round.objects.select_for_update().get(pk=round_.pk)
    current = OptIn.objects.filter(round=round_, member=member).first()
    if round_.state != RoundState.OPEN or not member.is_active:
        return AnswerOutcome(
            recorded=False, answer=current.answer if current else "", state=round_.state
        )
    if current is None:
        OptIn.objects.create(
            round=round_, member=member, answer=answer, answered_at=now, first_answered_at=now
        )
    elif current.answer != answer:
        current.answer = answer
        current.answered_at = now
        current.save(update_fields=["answer", "answered_at"])
    return AnswerOutcome(recorded=True, answer=answer, state=round_.state)


@transaction.atomic
def program_matching_update(
    *, program: Program, is_opt_in_enabled: bool, group_size: int, avoid_repeat_matches: bool
) -> Program:
    """Change the matching settings; they apply to rounds from their next opt-in or match."""
    if group_size not in (2, 3):
        raise RoundError("Groups are pairs or trios.")
    program.is_opt_in_enabled = is_opt_in_enabled
    program.group_size = group_size
    program.avoid_repeat_matches = avoid_repeat_matches
    program.save(
        update_fields=["is_opt_in_enabled", "group_size", "avoid_repeat_matches", "updated_at"]
    )
    return program
