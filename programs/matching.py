"""Grouping the members of a round: a pure function, no Django, reproducible from a seed.

`group_members(member_ids=…, group_size=…, previous_pairs=…, seed=…)` returns a list of groups
(lists of member ids). Guarantees:

1. Every member id appears in exactly one group.
2. Every group has `group_size` members, except at most one larger group that takes the
   remainder (pairs: one group of three when the count is odd; trios: one group of four or five).
   With fewer members than `group_size` everyone is in one (smaller) group; a lone member is a
   group of one, which the caller reports as "not matched this time".
3. Pairs (`group_size=2`): no group contains a pair from `previous_pairs` whenever a repeat-free
   grouping exists. The pairing is a *maximum matching* of the "have not met" graph, found with
   Edmonds' blossom algorithm, so it is exact for any number of members; when the count is odd
   the leftover joins a pair it has met neither of, and if the matching offers none, other
   triangles are tried (exhaustively up to `TRIANGLE_TRIALS` of them, which covers every
   triangle for up to 24 members). When repeats are unavoidable, the number of repeated pairs
   among the pairs is the least possible (a maximum matching keeps the most new pairs).
4. Trios (`group_size=3`): for up to `EXACT_LIMIT` members an exhaustive branch-and-bound
   search returns a grouping with the fewest repeated pairs (so none whenever that is
   possible). Above that, a seeded random grouping is improved by swapping members between
   groups while that removes repeats (local search). Finding a repeat-free trio grouping is
   NP-hard in general, so this is best effort, but histories are sparse in practice (each
   member met a few dozen of thousands) and it ends with no repeats there.
5. The same input and seed give the same groups, whatever the order of `member_ids`.

Members are indexed 0..n-1 internally; "met" is one set of indices per member.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable, Iterator

EXACT_LIMIT = 12
TRIANGLE_TRIALS = 2024
LOCAL_SEARCH_ROUNDS = 200
STALE_ROUNDS = 20  # local search stops after this many rounds without a better grouping


def group_members(
    *,
    member_ids: Iterable[int],
    group_size: int,
    previous_pairs: Collection[frozenset[int]] = frozenset(),
    seed: int = 0,
) -> list[list[int]]:
    """Group `member_ids` into groups of `group_size` (2 or 3); see the module's guarantees."""
    if group_size not in (2, 3):
        raise ValueError(f"group_size must be 2 or 3, not {group_size!r}")
    ids = sorted(set(member_ids))
    rng = random.Random(seed)
    rng.shuffle(ids)
    n = len(ids)
    if n == 0:
        return []
    if n <= group_size:
        return [sorted(ids)]
    index = {member_id: position for position, member_id in enumerate(ids)}
    met: list[set[int]] = [set() for _ in range(n)]
    for pair in previous_pairs:
        if len(pair) != 2:
            continue
        first, second = tuple(pair)
        if first in index and second in index:
            met[index[first]].add(index[second])
            met[index[second]].add(index[first])
    if group_size == 2:
        groups = _pairs(n=n, met=met)
    elif n <= EXACT_LIMIT:
        groups = _trios_exact(n=n, met=met)
    else:
        groups = _trios_local_search(n=n, met=met, rng=rng)
    return [sorted(ids[i] for i in group) for group in groups]


def repeat_pairs(
    *, groups: Iterable[Iterable[int]], previous_pairs: Collection[frozenset[int]]
) -> int:
    """How many pairs inside `groups` were already in `previous_pairs`."""
    count = 0
    for group in groups:
        members = list(group)
        for i, first in enumerate(members):
            for second in members[i + 1 :]:
                if frozenset((first, second)) in previous_pairs:
                    count += 1
    return count


# Pairs: maximum matching with Edmonds' blossom algorithm ------------------------------------


def _pairs(*, n: int, met: list[set[int]]) -> list[list[int]]:
    mate = _greedy_matching(n=n, met=met)
    _maximise_matching(n=n, met=met, mate=mate)
    exposed = [v for v in range(n) if mate[v] == -1]
    pairs = [[v, mate[v]] for v in range(n) if v < mate[v]]
    if not exposed:
        return pairs
    if len(exposed) == 1:
        leftover = exposed[0]
        for pair in pairs:
            if pair[0] not in met[leftover] and pair[1] not in met[leftover]:
                pair.append(leftover)
                return pairs
        found = _repeat_free_with_triangle(n=n, met=met, mate=mate)
        if found is not None:
            return found
    # Repeats are unavoidable (or no triangle was found): the exposed members have all met
    # each other, so pair them in order and let an odd one join the pair it repeats least.
    for first, second in zip(exposed[0::2], exposed[1::2], strict=False):
        pairs.append([first, second])
    if len(exposed) % 2:
        leftover = exposed[-1]
        best = min(
            (pair for pair in pairs if leftover not in pair),
            key=lambda pair: sum(1 for member in pair if member in met[leftover]),
        )
        best.append(leftover)
    return pairs


def _greedy_matching(*, n: int, met: list[set[int]]) -> list[int]:
    """A quick start: each member in turn takes the next free member it has not met."""
    mate = [-1] * n
    for v in range(n):
        if mate[v] != -1:
            continue
        for u in range(v + 1, n):
            if mate[u] == -1 and u not in met[v]:
                mate[v], mate[u] = u, v
                break
    return mate


def _maximise_matching(
    *, n: int, met: list[set[int]], mate: list[int], skip: Collection[int] = ()
) -> None:
    """Augment `mate` in place to a maximum matching of the not-met graph (minus `skip`).

    One search per exposed vertex suffices: a vertex with no augmenting path never gains one
    after other augmentations (Edmonds' lemma).
    """
    excluded = set(skip)
    exposed = sum(1 for v in range(n) if mate[v] == -1 and v not in excluded)
    for root in range(n):
        if exposed < 2:
            # A path needs two free ends; searching from the last one would only scan the
            # whole (near-complete) graph to find nothing.
            return
        if mate[root] == -1 and root not in excluded:
            end = _augmenting_path_end(n=n, met=met, mate=mate, root=root, excluded=excluded)
            if end is not None:
                _augment(mate=mate, parent=end[1], end=end[0])
                exposed -= 2
            else:
                exposed -= 1


def _augmenting_path_end(
    *, n: int, met: list[set[int]], mate: list[int], root: int, excluded: set[int]
) -> tuple[int, list[int]] | None:
    """Grow an alternating tree from `root`, shrinking blossoms; the free end of a path, if any.

    Edges are examined depth-first from the newest outer vertex, and each vertex looks at the
    exposed vertices first: in the near-complete graphs of real rosters that finds a path of
    length three at once instead of scanning every member. Edmonds' search is correct in any
    order of edge examination.
    """
    parent = [-1] * n
    base = list(range(n))
    used = [False] * n
    exposed = [v for v in range(n) if mate[v] == -1 and v != root and v not in excluded]

    def neighbours(v: int) -> Iterator[int]:
        seen = met[v]
        for u in exposed:
            if u != v and u not in seen:
                yield u
        for u in range(n):
            if u != v and u not in seen and u not in excluded:
                yield u

    def lowest_common_ancestor(a: int, b: int) -> int:
        on_path = [False] * n
        while True:
            a = base[a]
            on_path[a] = True
            if mate[a] == -1:
                break
            a = parent[mate[a]]
        while True:
            b = base[b]
            if on_path[b]:
                return b
            b = parent[mate[b]]

    def mark_path(v: int, blossom_base: int, child: int, blossom: list[bool]) -> None:
        while base[v] != blossom_base:
            blossom[base[v]] = blossom[base[mate[v]]] = True
            parent[v] = child
            child = mate[v]
            v = parent[mate[v]]

    used[root] = True
    stack = [root]
    iterators: dict[int, Iterator[int]] = {root: neighbours(root)}
    while stack:
        v = stack[-1]
        to = next(iterators[v], None)
        if to is None:
            stack.pop()
            continue
        if base[v] == base[to] or mate[v] == to:
            continue
        if to == root or (mate[to] != -1 and parent[mate[to]] != -1):
            blossom_base = lowest_common_ancestor(v, to)
            blossom = [False] * n
            mark_path(v, blossom_base, to, blossom)
            mark_path(to, blossom_base, v, blossom)
            for i in range(n):
                if blossom[base[i]]:
                    base[i] = blossom_base
                    if not used[i]:
                        used[i] = True
                        stack.append(i)
                        iterators[i] = neighbours(i)
        elif parent[to] == -1:
            parent[to] = v
            if mate[to] == -1:
                return to, parent
            outer = mate[to]
            used[outer] = True
            stack.append(outer)
            iterators[outer] = neighbours(outer)
    return None


def _augment(*, mate: list[int], parent: list[int], end: int) -> None:
    v = end
    while v != -1:
        previous = parent[v]
        following = mate[previous]
        mate[v], mate[previous] = previous, v
        v = following


def _repeat_free_with_triangle(
    *, n: int, met: list[set[int]], mate: list[int]
) -> list[list[int]] | None:
    """For an odd count: a new triangle whose removal leaves a perfect new matching, if any."""
    trials = 0
    for x in range(n):
        partners = [a for a in range(x + 1, n) if a not in met[x]]
        for i, a in enumerate(partners):
            for b in partners[i + 1 :]:
                if b in met[a]:
                    continue
                trials += 1
                if trials > TRIANGLE_TRIALS:
                    return None
                triangle = (x, a, b)
                trial = list(mate)
                for member in triangle:
                    if trial[member] != -1:
                        trial[trial[member]] = -1
                    trial[member] = -1
                _maximise_matching(n=n, met=met, mate=trial, skip=triangle)
                if all(trial[v] != -1 for v in range(n) if v not in triangle):
                    pairs = [[v, trial[v]] for v in range(n) if v < trial[v]]
                    return [*pairs, list(triangle)]
    return None


# Trios -------------------------------------------------------------------------------------


def _group_sizes(*, n: int, group_size: int) -> list[int]:
    """`n // group_size` groups, the last one taking the remainder."""
    sizes = [group_size] * (n // group_size)
    sizes[-1] += n % group_size
    return sizes


def _conflicts(member: int, others: Iterable[int], met: list[set[int]]) -> int:
    seen = met[member]
    return sum(1 for other in others if other != member and other in seen)


def _trios_exact(*, n: int, met: list[set[int]]) -> list[list[int]]:
    """Branch and bound over every grouping; the first with the fewest repeats wins."""
    # The larger group (if any) first, and open to any member: the rest are filled canonically.
    sizes = sorted(_group_sizes(n=n, group_size=3), reverse=True)
    has_larger = sizes[0] != sizes[-1]
    best: list[list[int]] = []
    best_cost = n * n

    def search(
        remaining: list[int], groups: list[list[int]], current: list[int], cost: int
    ) -> None:
        nonlocal best, best_cost
        if cost >= best_cost:
            return
        if not remaining:
            best, best_cost = [list(group) for group in [*groups, current]], cost
            return
        target = sizes[len(groups)]
        if len(current) == target:
            search(remaining, [*groups, current], [], cost)
            return
        # The first member of a new group of the usual size is the lowest remaining one, so
        # each grouping is visited once; other members are tried in every combination.
        canonical_start = not current and (groups or not has_larger)
        candidates = remaining[:1] if canonical_start else remaining
        for position, member in enumerate(candidates):
            if current and member < current[-1]:
                continue
            added = _conflicts(member, current, met)
            rest = remaining[:position] + remaining[position + 1 :]
            search(rest, groups, [*current, member], cost + added)
            if best_cost == 0:
                return

    search(list(range(n)), [], [], 0)
    return best


def _trios_local_search(*, n: int, met: list[set[int]], rng: random.Random) -> list[list[int]]:
    """Seeded random groups, then swaps between groups while they remove repeats."""
    sizes = _group_sizes(n=n, group_size=3)
    order = list(range(n))
    groups: list[list[int]] = []
    start = 0
    for size in sizes:
        groups.append(order[start : start + size])
        start += size

    def group_cost(group: list[int]) -> int:
        return sum(_conflicts(member, group, met) for member in group) // 2

    best_cost, best = sum(group_cost(group) for group in groups), [list(g) for g in groups]
    stale = 0
    for _ in range(LOCAL_SEARCH_ROUNDS):
        troubled = [number for number, group in enumerate(groups) if group_cost(group)]
        if not troubled:
            return groups
        cost = sum(group_cost(groups[number]) for number in troubled)
        if cost < best_cost:
            best_cost, best, stale = cost, [list(g) for g in groups], 0
        else:
            stale += 1
            if stale > STALE_ROUNDS:
                break
        improved = False
        for number in troubled:
            group = groups[number]
            for member in [m for m in group if _conflicts(m, group, met)]:
                if member not in group:
                    continue
                here = _conflicts(member, group, met)
                for _attempt in range(64):
                    other_number = rng.randrange(len(groups))
                    if other_number == number:
                        continue
                    other_group = groups[other_number]
                    other = other_group[rng.randrange(len(other_group))]
                    before = here + _conflicts(other, other_group, met)
                    after = _conflicts(member, [m for m in other_group if m != other], met)
                    after += _conflicts(other, [m for m in group if m != member], met)
                    if after < before:
                        group[group.index(member)] = other
                        other_group[other_group.index(other)] = member
                        improved = True
                        break
        if not improved:
            # A plateau: shake one troubled member into a random group and carry on.
            number = troubled[rng.randrange(len(troubled))]
            other_number = rng.randrange(len(groups))
            if other_number != number:
                group, other_group = groups[number], groups[other_number]
                i, j = rng.randrange(len(group)), rng.randrange(len(other_group))
                group[i], other_group[j] = other_group[j], group[i]
    final_cost = sum(group_cost(group) for group in groups)
    return groups if final_cost <= best_cost else best
