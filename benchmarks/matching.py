"""Benchmark: grouping 10,000 opted-in members who have a history of 20 earlier rounds.

Run as `python benchmarks/matching.py [--n 10000] [--db-n 10000] [--rounds 20]` with
DATABASE_URL pointing at PostgreSQL (it works on a throwaway copy of that database, created
and dropped by benchmarks/harness.py). It measures, in one run:

1. the pure function `programs.matching.group_members` (pairs) against a baseline of naive
   random pairing of the same members: time and repeated pairs of each;
2. the full `round_match` service on the database: reading the program's history, grouping,
   storing the groups and planning one match message per member (the time spent in the
   outbox's `outbox_reconcile` is printed apart).

The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import django_setup, django_teardown
from programs.matching import group_members, repeat_pairs


def history(member_ids: list[int], rounds: int, rng: random.Random) -> set[frozenset[int]]:
    """`rounds` earlier random pairings of everyone."""
    pairs: set[frozenset[int]] = set()
    for _ in range(rounds):
        order = member_ids[:]
        rng.shuffle(order)
        for i in range(0, len(order) - 1, 2):
            pairs.add(frozenset(order[i : i + 2]))
    return pairs


def naive_pairs(member_ids: list[int], seed: int) -> list[list[int]]:
    order = member_ids[:]
    random.Random(seed).shuffle(order)
    groups = [order[i : i + 2] for i in range(0, len(order) - 1, 2)]
    if len(order) % 2:
        groups[-1].append(order[-1])
    return groups


def bench_pure(n: int, rounds: int) -> dict[str, float | int]:
    rng = random.Random(20)
    members = list(range(1, n + 1))
    previous = history(members, rounds, rng)
    started = time.perf_counter()
    naive = naive_pairs(members, seed=1)
    baseline_seconds = time.perf_counter() - started
    started = time.perf_counter()
    groups = group_members(member_ids=members, group_size=2, previous_pairs=previous, seed=1)
    seconds = time.perf_counter() - started
    trios_started = time.perf_counter()
    trios = group_members(member_ids=members, group_size=3, previous_pairs=previous, seed=1)
    trio_seconds = time.perf_counter() - trios_started
    return {
        "seconds": seconds,
        "repeat_pairs": repeat_pairs(groups=groups, previous_pairs=previous),
        "baseline_seconds": baseline_seconds,
        "baseline_repeat_pairs": repeat_pairs(groups=naive, previous_pairs=previous),
        "trio_seconds": trio_seconds,
        "trio_repeat_pairs": repeat_pairs(groups=trios, previous_pairs=previous),
        "history_pairs": len(previous),
    }


def bench_database(n: int, rounds: int) -> dict[str, float | int | str]:
    from django.db import connection
    from django.utils import timezone

    from programs import rounds as rounds_module
    from programs.models import Match, Member, Program, Round, RoundState
    from programs.rounds import previous_pairs, round_match
    from reminders.models import Message

    now = timezone.now()
    program = Program.objects.create(name="Benchmark: matching", is_opt_in_enabled=False)
    try:
        Member.objects.bulk_create(
            [
                Member(program=program, name=f"Member {i}", email=f"m{i}@bench.example")
                for i in range(n)
            ],
            batch_size=2000,
        )
        member_ids = list(Member.objects.filter(program=program).values_list("id", flat=True))
        rng = random.Random(7)
        Membership = Match.members.through
        for number in range(rounds):
            old = Round.objects.create(
                program=program,
                match_at=now - timedelta(weeks=rounds - number),
                time_zone="UTC",
                state=RoundState.MATCHED,
            )
            pairs = naive_pairs(member_ids, seed=rng.randrange(2**31))
            matches = Match.objects.bulk_create(
                [Match(round=old, number=i + 1) for i in range(len(pairs))], batch_size=2000
            )
            Membership.objects.bulk_create(
                [
                    Membership(match_id=match.pk, member_id=member_id)
                    for match, group in zip(matches, pairs, strict=True)
                    for member_id in group
                ],
                batch_size=5000,
            )
        target = Round.objects.create(program=program, match_at=now, time_zone="UTC", seed=1)
        outbox_seconds = 0.0
        real_reconcile = rounds_module.outbox_reconcile

        def timed_reconcile(**kwargs: object) -> object:
            nonlocal outbox_seconds
            started = time.perf_counter()
            try:
                return real_reconcile(**kwargs)
            finally:
                outbox_seconds += time.perf_counter() - started

        rounds_module.outbox_reconcile = timed_reconcile
        try:
            started = time.perf_counter()
            result = round_match(round_id=target.pk, now=now)
            seconds = time.perf_counter() - started
        finally:
            rounds_module.outbox_reconcile = real_reconcile
        assert result is not None
        previous = previous_pairs(program_id=program.pk, exclude_round_id=target.pk)
        repeats = repeat_pairs(groups=result.groups, previous_pairs=previous)
        planned = Message.objects.filter(topic=target.topic, kind="match").count()
        return {
            "db_n": n,
            "db_vendor": connection.vendor,
            "db_seconds": seconds,
            "db_outbox_seconds": outbox_seconds,
            "db_repeat_pairs": repeats,
            "db_groups": len(result.groups),
            "db_messages_planned": planned,
        }
    finally:
        topics = [
            f"round:{pk}"
            for pk in Round.objects.filter(program=program).values_list("pk", flat=True)
        ]
        Message.objects.filter(topic__in=topics).delete()
        program.delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--db-n", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    pure = bench_pure(args.n, args.rounds)
    print(
        f"group_members, pairs: {args.n} members, {pure['history_pairs']} earlier pairs "
        f"({args.rounds} rounds): {pure['seconds']:.3f} s, {pure['repeat_pairs']} repeat pairs"
    )
    print(
        f"baseline (naive random pairs): {pure['baseline_seconds']:.3f} s, "
        f"{pure['baseline_repeat_pairs']} repeat pairs"
    )
    print(
        f"group_members, trios: {pure['trio_seconds']:.3f} s, "
        f"{pure['trio_repeat_pairs']} repeat pairs"
    )
    django_setup()
    try:
        database = bench_database(args.db_n, args.rounds)
    finally:
        django_teardown()
    print(
        f"round_match on {database['db_vendor']}: {args.db_n} members, {args.rounds} earlier "
        f"rounds: {database['db_seconds']:.3f} s, {database['db_repeat_pairs']} repeat pairs, "
        f"{database['db_groups']} groups, {database['db_messages_planned']} messages planned "
        f"(of which planning the messages in the outbox: {database['db_outbox_seconds']:.3f} s)"
    )
    ratio = pure["seconds"] / pure["baseline_seconds"] if pure["baseline_seconds"] else None
    print(
        json.dumps(
            {
                "benchmark": "matching",
                "n": args.n,
                "rounds": args.rounds,
                "seconds": round(pure["seconds"], 4),
                "repeat_pairs": pure["repeat_pairs"],
                "baseline_seconds": round(pure["baseline_seconds"], 4),
                "baseline_repeat_pairs": pure["baseline_repeat_pairs"],
                "ratio": round(ratio, 1) if ratio else None,
                "trio_seconds": round(pure["trio_seconds"], 4),
                "trio_repeat_pairs": pure["trio_repeat_pairs"],
                **{
                    key: round(value, 4) if isinstance(value, float) else value
                    for key, value in database.items()
                },
            }
        )
    )


if __name__ == "__main__":
    main()
