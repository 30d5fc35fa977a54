"""The matching function: property tests against brute force, plus a large sparse history."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from programs.matching import group_members, repeat_pairs


def _layout(n: int, group_size: int) -> list[int]:
    if n <= group_size:
        return [n] if n else []
    sizes = [group_size] * (n // group_size)
    sizes[-1] += n % group_size
    return sizes


def _groupings(members: list[int], sizes: list[int]):
    """Every partition of `members` into groups of `sizes`, the larger group first."""
    if not sizes:
        yield []
        return
    if len(sizes) > 1 and sizes[0] > sizes[1]:
        for group in itertools.combinations(members, sizes[0]):
            remaining = [m for m in members if m not in group]
            for tail in _groupings(remaining, sizes[1:]):
                yield [list(group), *tail]
        return
    first, rest = members[0], members[1:]
    for others in itertools.combinations(rest, sizes[0] - 1):
        remaining = [m for m in rest if m not in others]
        for tail in _groupings(remaining, sizes[1:]):
            yield [[first, *others], *tail]


def _fewest_repeats(members: list[int], group_size: int, previous: set[frozenset[int]]) -> int:
    sizes = sorted(_layout(len(members), group_size), reverse=True)
    best = None
    for grouping in _groupings(members, sizes):
        cost = repeat_pairs(groups=grouping, previous_pairs=previous)
        best = cost if best is None else min(best, cost)
        if best == 0:
            break
    return best or 0


@st.composite
def rosters(draw, max_members: int = 8):
    n = draw(st.integers(min_value=0, max_value=max_members))
    members = draw(
        st.lists(st.integers(min_value=1, max_value=10_000), min_size=n, max_size=n, unique=True)
    )
    all_pairs = [frozenset(pair) for pair in itertools.combinations(members, 2)]
    previous = draw(st.sets(st.sampled_from(all_pairs))) if all_pairs else set()
    return members, previous


def _check_shape(members: list[int], group_size: int, groups: list[list[int]]) -> None:
    flat = [member for group in groups for member in group]
    assert sorted(flat) == sorted(members)  # everyone exactly once
    sizes = sorted(len(group) for group in groups)
    if len(members) <= group_size:
        assert sizes == ([len(members)] if members else [])
        return
    assert all(size >= group_size for size in sizes)
    assert sum(1 for size in sizes if size > group_size) <= 1
    assert max(sizes) < 2 * group_size


@pytest.mark.parametrize("group_size", [2, 3])
@settings(max_examples=150, deadline=None)
@given(roster=rosters(), seed=st.integers(min_value=0, max_value=2**32))
def test_groups_cover_everyone_once_with_the_right_sizes_and_no_avoidable_repeats(
    group_size: int, roster, seed: int
) -> None:
    members, previous = roster
    groups = group_members(
        member_ids=members, group_size=group_size, previous_pairs=previous, seed=seed
    )
    _check_shape(members, group_size, groups)
    repeats = repeat_pairs(groups=groups, previous_pairs=previous)
    if _fewest_repeats(sorted(members), group_size, previous) == 0:
        assert repeats == 0


@settings(max_examples=60, deadline=None)
@given(roster=rosters(max_members=14), seed=st.integers(min_value=0, max_value=2**32))
def test_pairs_keep_the_most_new_pairs_a_maximum_matching_allows(roster, seed: int) -> None:
    members, previous = roster
    groups = group_members(member_ids=members, group_size=2, previous_pairs=previous, seed=seed)
    _check_shape(members, 2, groups)
    new_pairs = sum(1 for group in groups if len(group) == 2 and frozenset(group) not in previous)
    # Brute force over matchings of the not-met graph: the largest has as many edges as the
    # pairs (plus the pair hidden in a trio) that are new.
    edges = [
        (a, b) for a, b in itertools.combinations(members, 2) if frozenset((a, b)) not in previous
    ]
    largest = _largest_matching(edges)
    trio_pairs = sum(1 for group in groups if len(group) == 3 and _has_new_pair(group, previous))
    assert new_pairs + trio_pairs >= largest


def _has_new_pair(group: list[int], previous: set[frozenset[int]]) -> bool:
    return any(frozenset(pair) not in previous for pair in itertools.combinations(group, 2))


def _largest_matching(edges: list[tuple[int, int]]) -> int:
    best = 0

    def extend(start: int, used: set[int], size: int) -> None:
        nonlocal best
        best = max(best, size)
        for i in range(start, len(edges)):
            a, b = edges[i]
            if a not in used and b not in used:
                extend(i + 1, used | {a, b}, size + 1)

    if len(edges) <= 40:
        extend(0, set(), 0)
    else:  # dense graph: a perfect (or near-perfect) matching exists
        vertices = {v for edge in edges for v in edge}
        best = len(vertices) // 2
    return best


@pytest.mark.parametrize("group_size", [2, 3])
def test_the_same_seed_gives_the_same_groups_whatever_the_input_order(group_size: int) -> None:
    members = list(range(1, 40))
    previous = {frozenset((1, 2)), frozenset((3, 4))}
    first = group_members(
        member_ids=members, group_size=group_size, previous_pairs=previous, seed=7
    )
    shuffled = list(reversed(members))
    again = group_members(
        member_ids=shuffled, group_size=group_size, previous_pairs=previous, seed=7
    )
    other = group_members(
        member_ids=members, group_size=group_size, previous_pairs=previous, seed=8
    )
    assert first == again
    assert first != other


@pytest.mark.parametrize("group_size", [2, 3])
def test_a_large_roster_with_a_long_history_gets_no_repeats(group_size: int) -> None:
    members = list(range(1, 602))  # odd on purpose
    rng = random.Random(3)
    previous: set[frozenset[int]] = set()
    for _ in range(20):
        order = members[:]
        rng.shuffle(order)
        for i in range(0, len(order) - 1, 2):
            previous.add(frozenset(order[i : i + 2]))
    groups = group_members(
        member_ids=members, group_size=group_size, previous_pairs=previous, seed=1
    )
    _check_shape(members, group_size, groups)
    assert repeat_pairs(groups=groups, previous_pairs=previous) == 0


def test_when_everyone_has_met_the_odd_member_still_joins_a_pair() -> None:
    members = [1, 2, 3, 4, 5]
    previous = {frozenset(pair) for pair in itertools.combinations(members, 2)}
    groups = group_members(member_ids=members, group_size=2, previous_pairs=previous, seed=0)
    assert sorted(len(group) for group in groups) == [2, 3]


def test_group_size_must_be_two_or_three() -> None:
    with pytest.raises(ValueError, match="group_size"):
        group_members(member_ids=[1, 2, 3, 4], group_size=4)
