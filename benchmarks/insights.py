"""Insights pages on a large program: render time against a bare view, and the slowest query.

The large program has 1,000 sessions, 100,000 registrations (with attendance for 60,000),
5,000 commitments with 50,000 check-ins, 12 matched rounds of 200 members and 100,000
e-mails; a small one has 10 sessions. Each page is requested through Django's WSGI handler
in this process (the test client: middleware, sessions, templates, everything but the
socket), `--repeat` times after one warm-up; the figure is the median. Pages are timed cold
(`INSIGHTS_CACHE_SECONDS=0`: every aggregate runs on every request) and warm (the sections
come from the cache, as for a host reloading within two minutes). The baseline is `/healthz`
in the same process. The query count of every page (cold) is taken for both programs: it
must be the same.

    DATABASE_URL=postgres://…/convene python benchmarks/insights.py
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import django_setup, django_teardown, report

TARGET_MS = 300.0


def _program(
    *,
    host: object,
    name: str,
    sessions: int,
    registrations: int,
    attended: int,
    commitments: int,
    checkins_each: int,
    members: int,
    rounds: int,
    messages: int,
):
    from django.utils import timezone

    from commitments.models import CheckIn, Commitment
    from programs.models import HostRole, Match, Member, Module, OptIn, Program, ProgramHost, Round
    from reminders.models import DeliveryStatus, Message, MessageStatus
    from sessions_app.models import Attendance, AttendanceRole, Registration, Session

    rng = random.Random(16)
    now = timezone.now()
    program = Program.objects.create(name=name, time_zone="UTC")
    ProgramHost.objects.create(program=program, user=host, role=HostRole.OWNER)
    modules = [
        Module.objects.create(program=program, title=f"Module {i}", commitment_days=10)
        for i in range(5)
    ]
    made = Session.objects.bulk_create(
        Session(
            program=program,
            module=modules[i % 5],
            title=f"Session {i}",
            starts_at=(start := now - timedelta(days=1 + i * 85 / max(sessions, 1), hours=1)),
            ends_at=start + timedelta(minutes=60),
            time_zone="UTC",
            duration_minutes=60,
            state="completed",
            started_at=start,
            ended_at=start + timedelta(minutes=60),
            code=f"B{name[:1]}{i:06d}",
        )
        for i in range(sessions)
    )
    people = Registration.objects.bulk_create(
        (
            Registration(session=made[i % sessions], email=f"p{i}@{name}.test", name=f"P {i}")
            for i in range(registrations)
        ),
        batch_size=5000,
    )
    Attendance.objects.bulk_create(
        (
            Attendance(
                session_id=registration.session_id,
                participant_key=f"registration:{registration.pk}",
                registration=registration,
                role=AttendanceRole.ATTENDEE,
                name=registration.name,
                status="left",
                arrived_at=(joined := made[i % sessions].starts_at),
                joined_at=joined,
                left_at=joined + timedelta(minutes=rng.randint(5, 60)),
                last_seen_at=joined + timedelta(minutes=60),
            )
            for i, registration in enumerate(people[:attended])
        ),
        batch_size=5000,
    )
    committed = Commitment.objects.bulk_create(
        (
            Commitment(
                session=made[i % sessions],
                module=made[i % sessions].module,
                participant_name=f"C {i}",
                participant_email=f"c{i}@{name}.test",
                time_zone=rng.choice(["UTC", "Europe/Berlin", "America/New_York"]),
                starts_on=(starts := (now - timedelta(days=rng.randint(0, 80))).date()),
                duration_days=10,
                ends_on=starts + timedelta(days=9),
                created_at=now - timedelta(days=(now.date() - starts).days),
            )
            for i in range(commitments)
        ),
        batch_size=5000,
    )
    CheckIn.objects.bulk_create(
        (
            CheckIn(
                commitment=commitment,
                day=commitment.starts_on + timedelta(days=day),
                is_done=rng.random() < 0.8,
                rating=rng.randint(1, 10),
                created_at=now,
                updated_at=now,
            )
            for commitment in committed
            for day in range(checkins_each)
        ),
        batch_size=5000,
    )
    roster = Member.objects.bulk_create(
        Member(program=program, name=f"M {i}", email=f"m{i}@{name}.test") for i in range(members)
    )
    for number in range(rounds):
        round_ = Round.objects.create(
            program=program,
            state="matched",
            opt_in_at=now - timedelta(days=7 * number + 3),
            match_at=now - timedelta(days=7 * number + 1),
            matched_at=now - timedelta(days=7 * number + 1),
            time_zone="UTC",
        )
        OptIn.objects.bulk_create(
            OptIn(round=round_, member=m, answer="yes", answered_at=now, first_answered_at=now)
            for m in roster
        )
        shuffled = roster[:]
        rng.shuffle(shuffled)
        matches = Match.objects.bulk_create(
            Match(round=round_, number=i + 1) for i in range(len(shuffled) // 2)
        )
        Match.members.through.objects.bulk_create(
            Match.members.through(match_id=match.pk, member_id=member.pk)
            for i, match in enumerate(matches)
            for member in shuffled[2 * i : 2 * i + 2]
        )
    open_round = Round.objects.create(
        program=program,
        state="open",
        opt_in_at=now - timedelta(days=1),
        match_at=now + timedelta(days=1),
        time_zone="UTC",
    )
    OptIn.objects.bulk_create(
        OptIn(round=open_round, member=m, answer="yes", answered_at=now, first_answered_at=now)
        for m in roster
    )
    statuses = [DeliveryStatus.DELIVERED] * 18 + [DeliveryStatus.BOUNCED, DeliveryStatus.COMPLAINED]
    Message.objects.bulk_create(
        (
            Message(
                kind=rng.choice(["session_confirmation", "session_reminder_hour"]),
                topic=f"session:{made[i % sessions].pk}",
                recipient_email=f"p{i}@{name}.test",
                due_at=now,
                status=MessageStatus.SENT if i % 50 else MessageStatus.FAILED,
                delivery_status=rng.choice(statuses),
                dedupe_key=f"bench:{name}:{i}",
            )
            for i in range(messages)
        ),
        batch_size=5000,
    )
    return program, open_round, committed[0]


def _urls(program, open_round, commitment) -> dict[str, str]:
    from django.urls import reverse

    return {
        "program_30_days": reverse("programs:program_insights", args=[program.pk]),
        "program_90_days": reverse("programs:program_insights", args=[program.pk]) + "?range=90",
        "all_programs_90_days": reverse("programs:insights") + "?range=90",
        "csv_per_session_90_days": reverse(
            "programs:program_insights_csv", args=[program.pk, "sessions", "per-session"]
        )
        + "?range=90",
        "round_preview": reverse("programs:round_grouping", args=[program.pk, open_round.pk]),
        "commitment": reverse("commitments:host_commitment", args=[program.pk, commitment.pk]),
    }


def _median_ms(client, url: str, repeat: int) -> float:
    assert client.get(url).status_code == 200, url
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, url
    return statistics.median(times)


def _queries(client, url: str) -> tuple[int, float]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context), max(float(query["time"]) for query in context.captured_queries) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = the issue's sizes")
    arguments = parser.parse_args()
    repeat = min(max(arguments.repeat, 1), 50)
    scale = min(max(arguments.scale, 0.01), 2.0)
    django_setup()
    try:
        from django.contrib.auth import get_user_model
        from django.db import connection
        from django.test import Client, override_settings

        host = get_user_model().objects.create_user(
            username="bench@example.org", email="bench@example.org", password="x" * 20
        )
        started = time.perf_counter()
        large = _program(
            host=host,
            name="large",
            sessions=int(1000 * scale),
            registrations=int(100_000 * scale),
            attended=int(60_000 * scale),
            commitments=int(5000 * scale),
            checkins_each=10,
            members=200,
            rounds=12,
            messages=int(100_000 * scale),
        )
        small = _program(
            host=host,
            name="small",
            sessions=10,
            registrations=100,
            attended=60,
            commitments=10,
            checkins_each=5,
            members=10,
            rounds=2,
            messages=100,
        )
        if connection.vendor == "postgresql":
            # What autovacuum does to tables after a bulk load: statistics, and the visibility
            # map that lets the Insights indexes answer by index-only scans.
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        fill_seconds = time.perf_counter() - started

        client = Client()
        client.force_login(host)
        baseline_ms = _median_ms(client, "/healthz", repeat)
        figures: dict[str, object] = {
            "benchmark": "insights",
            "database": connection.vendor,
            "sessions": int(1000 * scale),
            "registrations": int(100_000 * scale),
            "checkins": int(5000 * scale) * 10,
            "fill_seconds": round(fill_seconds, 1),
            "baseline_ms": round(baseline_ms, 2),
            "target_ms": TARGET_MS,
        }
        pages = {}
        large_urls, small_urls = _urls(*large), _urls(*small)
        for name, url in large_urls.items():
            with override_settings(INSIGHTS_CACHE_SECONDS=0):
                page_ms = _median_ms(client, url, repeat)
                queries, slowest_ms = _queries(client, url)
                small_queries, _ = _queries(client, small_urls[name])
            warm_ms = _median_ms(client, url, repeat)
            pages[name] = {
                "ms": round(page_ms, 1),
                "ratio": round(page_ms / baseline_ms, 1),
                "warm_ms": round(warm_ms, 1),
                "warm_ratio": round(warm_ms / baseline_ms, 1),
                "queries": queries,
                "queries_small_program": small_queries,
                "slowest_query_ms": round(slowest_ms, 1),
                "under_target": page_ms < TARGET_MS,
                "warm_under_target": warm_ms < TARGET_MS,
            }
        figures["pages"] = pages
        figures["slowest_page_ms"] = max(page["ms"] for page in pages.values())
        figures["slowest_query_ms"] = max(page["slowest_query_ms"] for page in pages.values())
        figures["slowest_warm_page_ms"] = max(page["warm_ms"] for page in pages.values())
        figures["all_under_target"] = all(page["under_target"] for page in pages.values())
        figures["all_warm_under_target"] = all(page["warm_under_target"] for page in pages.values())
        figures["same_queries_small_and_large"] = all(
            page["queries"] == page["queries_small_program"] for page in pages.values()
        )
    finally:
        django_teardown()
    report(figures)


if __name__ == "__main__":
    main()
