"""The grouping of a round before its match moment, and the host's swaps.

`round_grouping` is what `rounds.round_match` stores and sends: the same members (those who
said yes, or every active member without opt-in), the same history, the same seed, then the
host's swaps applied in order. So the preview a host sees is what the match then sends, as
long as nobody answers or changes status in between (the page says so).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from programs.matching import group_members
from programs.models import Member, MemberStatus, OptIn, OptInAnswer, Round


@dataclass
class Grouping:
    groups: list[list[int]]  # two or more members each
    unmatched: list[int]  # a lone member nobody could be grouped with
    history: set[frozenset[int]]
    participants: list[int]
    applied_swaps: list[tuple[int, int]] = field(default_factory=list)

    def repeats_in(self, group: list[int]) -> list[frozenset[int]]:
        return [
            frozenset((a, b))
            for i, a in enumerate(group)
            for b in group[i + 1 :]
            if frozenset((a, b)) in self.history
        ]

    @property
    def repeats(self) -> list[frozenset[int]]:
        return [pair for group in self.groups for pair in self.repeats_in(group)]

    @property
    def avoided(self) -> list[frozenset[int]]:
        """Pairs of this round's members who met before and are not grouped together again."""
        chosen = set(self.participants)
        grouped_again = set(self.repeats)
        return sorted(
            (pair for pair in self.history if pair <= chosen and pair not in grouped_again),
            key=sorted,
        )


def round_member_ids(round_: Round) -> list[int]:
    if round_.uses_opt_in:
        return list(
            OptIn.objects.filter(
                round=round_, answer=OptInAnswer.YES, member__status=MemberStatus.ACTIVE
            ).values_list("member_id", flat=True)
        )
    return list(
        Member.objects.filter(program_id=round_.program_id, status=MemberStatus.ACTIVE).values_list(
            "id", flat=True
        )
    )


def apply_swaps(
    groups: list[list[int]], swaps: list[list[int]]
) -> tuple[list[list[int]], list[tuple[int, int]]]:
    """Exchange each swap's two members between their groups; a swap naming someone no longer
    in the round, or two members of one group, is left out."""
    groups = [list(group) for group in groups]
    applied: list[tuple[int, int]] = []
    for pair in swaps:
        if len(pair) != 2:
            continue
        first, second = int(pair[0]), int(pair[1])
        where = {member: index for index, group in enumerate(groups) for member in group}
        if first not in where or second not in where or where[first] == where[second]:
            continue
        a, b = groups[where[first]], groups[where[second]]
        a[a.index(first)] = second
        b[b.index(second)] = first
        applied.append((first, second))
    return [sorted(group) for group in groups], applied


def round_grouping(*, round_: Round) -> Grouping:
    """The groups the round makes now: the pure grouping of `programs.matching`, then swaps."""
    from programs.rounds import previous_pairs

    program = round_.program
    member_ids = round_member_ids(round_)
    history = (
        previous_pairs(program_id=program.pk, exclude_round_id=round_.pk)
        if program.avoid_repeat_matches
        else set()
    )
    grouped = group_members(
        member_ids=member_ids,
        group_size=program.group_size,
        previous_pairs=history,
        seed=round_.seed,
    )
    groups, applied = apply_swaps([g for g in grouped if len(g) > 1], round_.swaps or [])
    full_history = history or previous_pairs(program_id=program.pk, exclude_round_id=round_.pk)
    return Grouping(
        groups=groups,
        unmatched=[g[0] for g in grouped if len(g) == 1],
        history=full_history,
        participants=sorted(member_ids),
        applied_swaps=applied,
    )


@dataclass
class SwapOutcome:
    is_applied: bool
    breaks_rule: list[frozenset[int]]  # pairs who met before, grouped by the swap


@transaction.atomic
def round_swap(*, round_id: int, first_id: int, second_id: int) -> SwapOutcome:
    """Record a swap of two members between their groups, under the round's row lock, while
    the round is not matched yet; says whether the swap groups people who met before."""
    round_ = Round.objects.select_for_update().select_related("program").get(pk=round_id)
    if not round_.is_changeable:
        return SwapOutcome(is_applied=False, breaks_rule=[])
    before = round_grouping(round_=round_)
    groups, applied = apply_swaps(before.groups, [[first_id, second_id]])
    if not applied:
        return SwapOutcome(is_applied=False, breaks_rule=[])
    round_.swaps = [*(round_.swaps or []), [first_id, second_id]]
    round_.save(update_fields=["swaps", "updated_at"])
    touched = [group for group in groups if first_id in group or second_id in group]
    breaks = sorted((pair for group in touched for pair in before.repeats_in(group)), key=sorted)
    return SwapOutcome(is_applied=True, breaks_rule=breaks)


@transaction.atomic
def round_swaps_clear(*, round_id: int) -> bool:
    round_ = Round.objects.select_for_update().get(pk=round_id)
    if not round_.is_changeable:
        return False
    round_.swaps = []
    round_.save(update_fields=["swaps", "updated_at"])
    return True
