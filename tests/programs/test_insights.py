"""Insights pages: every figure on the page and in its CSV equals a count made here, the
pages answer 404 for other hosts' programs, and their query count does not grow with rows."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from commitments.models import CheckIn, Commitment
from programs.models import MemberStatus, OptInAnswer, RoundState
from reminders.models import DeliveryStatus, MessageStatus
from sessions_app.models import AttendanceRole, AttendanceStatus, SessionState
from tests.factories import (
    AttendanceFactory,
    CheckInFactory,
    CommitmentFactory,
    MatchFactory,
    MemberFactory,
    MessageFactory,
    ModuleFactory,
    OptInFactory,
    RegistrationFactory,
    RoundFactory,
    SessionFactory,
    hosted_program,
)

pytestmark = pytest.mark.django_db


def _csv(client, url: str) -> list[list[str]]:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _figure_csv(client, program, section: str, figure: str, query: str = "") -> list[list[str]]:
    url = reverse(
        "programs:program_insights_csv",
        kwargs={"program_id": program.pk, "section": section, "figure": figure},
    )
    return _csv(client, url + query)


def _summary(html: str, label: str) -> str:
    marker = f"<dt>{label}</dt><dd>"
    start = html.index(marker) + len(marker)
    return html[start : html.index("</dd>", start)]


@pytest.fixture
def program(host):
    return hosted_program(user=host, time_zone="UTC")


@pytest.fixture
def sessions_data(program):
    """Two sessions in the last 30 days (one held, one cancelled), one older, one elsewhere."""
    now = timezone.now()
    module = ModuleFactory(program=program, title="Habits")
    held_start = now - timedelta(days=5)
    held = SessionFactory(
        program=program,
        module=module,
        title="Held one",
        starts_at=held_start,
        duration_minutes=60,
        state=SessionState.COMPLETED,
        started_at=held_start,
        ended_at=held_start + timedelta(minutes=60),
    )
    end = held_start + timedelta(minutes=60)
    stays = [
        # (arrived, joined, left): the funnel, early arrivals and minutes come from these.
        (held_start, held_start, end),  # stayed, 60 minutes
        (held_start, held_start, held_start + timedelta(minutes=10)),  # left early, 10
        (held_start - timedelta(minutes=5), held_start, end - timedelta(minutes=5)),  # 55
    ]
    registrations = [RegistrationFactory(session=held) for _ in range(4)]
    for registration, (arrived, joined, left) in zip(registrations, stays, strict=False):
        AttendanceFactory(
            session=held,
            participant_key=f"registration:{registration.pk}",
            registration=registration,
            status=AttendanceStatus.LEFT,
            arrived_at=arrived,
            joined_at=joined,
            left_at=left,
            last_seen_at=left,
        )
    AttendanceFactory(  # a guest, 25 minutes
        session=held,
        participant_key="guest:1",
        role=AttendanceRole.GUEST,
        status=AttendanceStatus.LEFT,
        arrived_at=held_start,
        joined_at=held_start,
        left_at=held_start + timedelta(minutes=25),
        last_seen_at=held_start + timedelta(minutes=25),
    )
    AttendanceFactory(  # the host: never counted
        session=held,
        participant_key="user:1",
        role=AttendanceRole.HOST,
        status=AttendanceStatus.LEFT,
        arrived_at=held_start - timedelta(minutes=30),
        joined_at=held_start - timedelta(minutes=30),
        left_at=end,
        last_seen_at=end,
    )
    cancelled = SessionFactory(
        program=program,
        title="Cancelled one",
        starts_at=now - timedelta(days=3),
        state=SessionState.CANCELLED,
    )
    RegistrationFactory(session=cancelled)
    old = SessionFactory(program=program, title="Old one", starts_at=now - timedelta(days=60))
    RegistrationFactory(session=old)
    RegistrationFactory(session=SessionFactory(starts_at=now - timedelta(days=2)))
    return {"held": held, "cancelled": cancelled, "module": module}


def test_sessions_figures_equal_independent_counts(host_client, program, sessions_data):
    held = sessions_data["held"]
    response = host_client.get(reverse("programs:program_insights", args=[program.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    # Counted here from the rows the fixture made.
    registered = 4 + 1
    expected = 4  # the cancelled session's registrant could not attend
    attended = 3
    assert _summary(html, "Sessions") == "2"
    assert _summary(html, "Held") == "1"
    assert _summary(html, "Cancelled") == "1"
    assert _summary(html, "Registered") == str(registered)
    assert _summary(html, "Attended") == str(attended)
    assert _summary(html, "No-show rate") == f"{100 * (expected - attended) / expected:g} %"
    assert _summary(html, "Average minutes in the room") == f"{(60 + 10 + 55 + 25) / 4:g}"
    assert _summary(html, "Guests") == "1"
    assert _summary(html, "Early joiners") == "1"

    funnel = _figure_csv(host_client, program, "sessions", "funnel")
    assert funnel == [
        ["Stage", "People"],
        ["Registered", "4"],
        ["Attended", "3"],
        ["Stayed to the end", "2"],
    ]
    per_session = _figure_csv(host_client, program, "sessions", "per-session")
    assert [row[1] for row in per_session[1:]] == ["Cancelled one", "Held one"]
    # Its chart tells the cancelled session from one nobody came to.
    assert html.count("chart-faded") == 3 and html.count("· cancelled") == 1
    held_row = per_session[2]
    assert held_row[0] == held.starts_at.astimezone(timezone.get_current_timezone()).strftime(
        "%Y-%m-%d %H:%M"
    )
    assert held_row[5:] == ["4", "3", "2", "25.0", f"{(60 + 10 + 55 + 25) / 4:g}", "1", "1"]
    # A cancelled session had registrants, and no room for them to miss: no no-show rate.
    assert per_session[1][4:9] == ["Cancelled", "1", "0", "0", ""]
    per_module = _figure_csv(host_client, program, "sessions", "per-module")
    assert per_module[1:] == [
        ["Habits", "1", "1", "4", "3", "2"],
        ["No module", "1", "0", "1", "0", "0"],
    ]


def test_period_choices_move_what_is_counted(host_client, program, sessions_data):
    url = reverse("programs:program_insights", args=[program.pk])
    html = host_client.get(url + "?range=90").content.decode()
    assert _summary(html, "Sessions") == "3"
    today = timezone.localdate()
    custom = f"?range=custom&start={today - timedelta(days=4)}&end={today}"
    html = host_client.get(url + custom).content.decode()
    assert _summary(html, "Sessions") == "1"  # only the cancelled one
    rows = _figure_csv(host_client, program, "sessions", "per-session", custom)
    assert [row[1] for row in rows[1:]] == ["Cancelled one"]


def test_bad_period_says_why_and_shows_the_last_30_days(host_client, program, sessions_data):
    url = reverse("programs:program_insights", args=[program.pk])
    response = host_client.get(url + "?range=custom&start=2026-05-10&end=2026-05-01")
    assert response.status_code == 200
    html = response.content.decode()
    assert "The end date comes before the start date." in html
    assert _summary(html, "Sessions") == "2"
    response = host_client.get(url + "?range=custom&start=0001-01-01&end=nonsense")
    assert response.status_code == 200
    assert "Choose a date between 1900 and 2200." in response.content.decode()


def _commitments(program):
    now = timezone.now()
    today = now.date()
    module = ModuleFactory(program=program, title="Walk daily")
    active = CommitmentFactory(
        module=module,
        time_zone="UTC",
        starts_on=today - timedelta(days=2),
        duration_days=5,
        created_at=now - timedelta(days=2),
    )
    finished = CommitmentFactory(
        module=module,
        time_zone="UTC",
        starts_on=today - timedelta(days=10),
        duration_days=5,
        created_at=now - timedelta(days=10),
        reflection="It worked.",
    )
    ended = CommitmentFactory(
        module=module,
        time_zone="UTC",
        starts_on=today - timedelta(days=3),
        duration_days=5,
        created_at=now - timedelta(days=3),
        ended_early_at=now - timedelta(days=1),
    )
    CommitmentFactory(module=module, created_at=now - timedelta(days=40))  # outside
    for offset, rating in ((0, 8), (1, 6)):
        CheckInFactory(
            commitment=active, day=active.starts_on + timedelta(days=offset), rating=rating
        )
    for offset, done in ((0, True), (1, True), (2, True), (3, False), (4, True)):
        CheckInFactory(
            commitment=finished,
            day=finished.starts_on + timedelta(days=offset),
            is_done=done,
            rating=5 if offset == 0 else None,
        )
    CheckInFactory(commitment=ended, day=ended.starts_on, is_done=False)
    return [active, finished, ended]


def test_commitment_figures_equal_independent_counts(host_client, program):
    commitments = _commitments(program)
    today = timezone.now().date()
    html = host_client.get(reverse("programs:program_insights", args=[program.pk])).content.decode()
    assert _summary(html, "Created") == "3"
    assert _summary(html, "Active") == "1"
    assert _summary(html, "Finished") == "1"
    assert _summary(html, "Ended early") == "1"
    assert _summary(html, "Reflections written") == "1"

    # The check-in curve, counted here commitment by commitment.
    expected = [["Day", "Commitments that reached it", "Done check-ins", "Rate %"]]
    checkins = list(CheckIn.objects.filter(commitment__in=commitments, is_done=True))
    last = max(min(c.duration_days, (today - c.starts_on).days + 1) for c in commitments)
    for number in range(1, last + 1):
        reached = sum(
            1 for c in commitments if min(c.duration_days, (today - c.starts_on).days + 1) >= number
        )
        done = sum(
            1
            for checkin in checkins
            if (checkin.day - checkin.commitment.starts_on).days + 1 == number
        )
        expected.append([str(number), str(reached), str(done), f"{round(100 * done / reached, 1)}"])
    assert _figure_csv(host_client, program, "commitments", "check-in-rate") == expected

    assert _figure_csv(host_client, program, "commitments", "streaks") == [
        ["Longest run of done days", "Commitments"],
        ["0", "1"],
        ["2", "1"],
        ["3", "1"],
    ]
    ratings = _figure_csv(host_client, program, "commitments", "ratings")
    assert sum(int(row[2]) for row in ratings[1:]) == 3
    per_module = _figure_csv(host_client, program, "commitments", "per-module")
    assert per_module[1:] == [["Walk daily", "3", "1", "1", "1", "6", "6.33", "1"]]


def test_round_figures_equal_independent_counts(host_client, program):
    now = timezone.now()
    a, b, c, d, e, f = (MemberFactory(program=program) for _ in range(6))
    MemberFactory(
        program=program, status=MemberStatus.PAUSED, status_changed_at=now - timedelta(days=2)
    )
    MemberFactory(
        program=program, status=MemberStatus.LEFT, status_changed_at=now - timedelta(days=40)
    )
    earlier = RoundFactory(
        program=program, opt_in_at=None, match_at=now - timedelta(days=20), state=RoundState.MATCHED
    )
    MatchFactory(round=earlier, number=1, members=[a, b])
    MatchFactory(round=earlier, number=2, members=[c, d])
    later = RoundFactory(
        program=program,
        opt_in_at=now - timedelta(days=9),
        match_at=now - timedelta(days=7),
        state=RoundState.MATCHED,
    )
    for member in (a, b, c, d):
        OptInFactory(round=later, member=member, answer=OptInAnswer.YES)
    OptInFactory(round=later, member=e, answer=OptInAnswer.NO)
    for member in (a, b, c, d, e, f):
        MessageFactory(
            kind="opt_in",
            topic=later.topic,
            recipient_email=member.email,
            status=MessageStatus.SENT,
        )
    MessageFactory(kind="opt_in", topic=later.topic, status=MessageStatus.CANCELLED)
    MatchFactory(round=later, number=1, members=[a, c])
    MatchFactory(round=later, number=2, members=[b, d])
    RoundFactory(program=program, match_at=now - timedelta(days=1), state=RoundState.CANCELLED)

    html = host_client.get(reverse("programs:program_insights", args=[program.pk])).content.decode()
    assert _summary(html, "Rounds") == "2"
    assert _summary(html, "Matched") == "2"
    assert _summary(html, "Paused (in the period)") == "1 (1)"
    assert _summary(html, "Left (in the period)") == "1 (0)"
    rows = _figure_csv(host_client, program, "rounds", "per-round")
    # Later round: asked 6, yes 4, no 1, no answer 1; groups 2; both earlier pairs avoided.
    assert rows[1][2:] == ["Matched", "6", "4", "1", "1", f"{round(400 / 6, 1)}", "2", "2", "0"]
    assert rows[2][2:] == ["Matched", "", "", "", "", "", "2", "0", "0"]
    trend = _figure_csv(host_client, program, "rounds", "opt-in-trend")
    assert [row[1] for row in trend[1:]] == [f"{round(400 / 6, 1)}"]


def test_repeated_pairs_are_counted(host_client, program):
    now = timezone.now()
    a, b, c, d = (MemberFactory(program=program) for _ in range(4))
    first = RoundFactory(
        program=program, opt_in_at=None, match_at=now - timedelta(days=9), state=RoundState.MATCHED
    )
    MatchFactory(round=first, number=1, members=[a, b])
    MatchFactory(round=first, number=2, members=[c, d])
    second = RoundFactory(
        program=program, opt_in_at=None, match_at=now - timedelta(days=2), state=RoundState.MATCHED
    )
    MatchFactory(round=second, number=1, members=[a, b])
    MatchFactory(round=second, number=2, members=[c, d])
    rows = _figure_csv(host_client, program, "rounds", "per-round")
    assert rows[1][-3:] == ["2", "0", "2"]


def test_email_figures_and_addresses_needing_attention(host_client, program, sessions_data):
    held = sessions_data["held"]
    topic = f"session:{held.pk}"
    MessageFactory(
        kind="session_confirmation",
        topic=topic,
        status=MessageStatus.SENT,
        delivery_status=DeliveryStatus.DELIVERED,
    )
    MessageFactory(
        kind="session_confirmation",
        topic=topic,
        status=MessageStatus.SENT,
        delivery_status=DeliveryStatus.OPENED,
    )
    MessageFactory(
        kind="session_confirmation",
        topic=topic,
        status=MessageStatus.SENT,
        delivery_status=DeliveryStatus.BOUNCED,
        recipient_email="=bad@example.org",
    )
    MessageFactory(
        kind="session_confirmation",
        topic=topic,
        status=MessageStatus.FAILED,
        recipient_email="failed@example.org",
    )
    MessageFactory(kind="session_reminder_day", topic=topic, status=MessageStatus.PENDING)
    MessageFactory(
        kind="program_host_added",
        topic=f"program:{program.pk}",
        status=MessageStatus.SENT,
        delivery_status=DeliveryStatus.COMPLAINED,
        recipient_email="spam@example.org",
    )
    MessageFactory(kind="session_confirmation", topic="session:999999", status=MessageStatus.SENT)
    other = SessionFactory(starts_at=timezone.now())
    MessageFactory(
        kind="session_confirmation", topic=f"session:{other.pk}", status=MessageStatus.SENT
    )

    html = host_client.get(reverse("programs:program_insights", args=[program.pk])).content.decode()
    assert _summary(html, "Sent") == "4"
    assert _summary(html, "Delivered") == "2"
    assert _summary(html, "Bounced") == "1"
    assert _summary(html, "Complained") == "1"
    assert _summary(html, "Failed") == "1"
    per_kind = _figure_csv(host_client, program, "email", "per-kind")
    assert per_kind[1:] == [
        ["Program host added", "1", "0", "0", "1", "0"],
        ["Session confirmation", "3", "2", "1", "0", "1"],
        ["Session reminder day", "0", "0", "0", "0", "0"],
    ]
    attention = _figure_csv(host_client, program, "email", "attention")
    addresses = sorted(row[0] for row in attention[1:])
    # Formula-safe: the address that starts with "=" is written with an apostrophe.
    assert addresses == ["'=bad@example.org", "failed@example.org", "spam@example.org"]


def test_pages_are_for_the_programs_hosts_only(client, host_client, program):
    other = hosted_program()
    assert host_client.get(reverse("programs:program_insights", args=[other.pk])).status_code == 404
    csv_url = reverse(
        "programs:program_insights_csv",
        kwargs={"program_id": other.pk, "section": "sessions", "figure": "funnel"},
    )
    assert host_client.get(csv_url).status_code == 404
    assert client.get(reverse("programs:program_insights", args=[program.pk])).status_code == 302
    unknown = reverse(
        "programs:program_insights_csv",
        kwargs={"program_id": program.pk, "section": "sessions", "figure": "nope"},
    )
    assert host_client.get(unknown).status_code == 404


def test_all_programs_view_adds_up_every_hosted_program(host, host_client, program, sessions_data):
    second = hosted_program(user=host, time_zone="UTC")
    session = SessionFactory(program=second, starts_at=timezone.now() - timedelta(days=1))
    RegistrationFactory(session=session)
    hosted_program()  # not the host's
    response = host_client.get(reverse("programs:insights"))
    html = response.content.decode()
    assert _summary(html, "Sessions") == "3"
    assert _summary(html, "Registered") == "6"
    rows = _csv(host_client, reverse("programs:insights_csv", args=["sessions", "funnel"]))
    assert rows[1] == ["Registered", "5"]  # the cancelled session's registrant left out
    assert (
        f'href="/programs/{program.pk}/insights/"'
        in host_client.get(reverse("programs:overview", args=[program.pk])).content.decode()
    )


def _fill(program, *, sessions: int, registrations: int, checkins: int, rounds: int) -> None:
    """Rows in every area; the sizes differ between the two programs of the query test."""
    now = timezone.now()
    module = ModuleFactory(program=program)
    made = [
        SessionFactory(program=program, module=module, starts_at=now - timedelta(days=1 + i % 20))
        for i in range(sessions)
    ]
    for i in range(registrations):
        registration = RegistrationFactory(session=made[i % sessions])
        AttendanceFactory(
            session=registration.session,
            registration=registration,
            participant_key=f"registration:{registration.pk}",
            joined_at=now,
        )
        MessageFactory(
            kind="session_confirmation",
            topic=f"session:{registration.session_id}",
            status=MessageStatus.SENT,
            delivery_status=DeliveryStatus.BOUNCED,
        )
    commitment = CommitmentFactory(
        module=module,
        session=made[0],
        duration_days=30,
        starts_on=now.date() - timedelta(days=29),
        created_at=now - timedelta(days=29),
    )
    CheckIn.objects.bulk_create(
        CheckIn(
            commitment=commitment if i < 30 else CommitmentFactory(module=module, session=made[0]),
            day=commitment.starts_on + timedelta(days=i % 30),
            is_done=True,
            rating=5,
            created_at=now,
            updated_at=now,
        )
        for i in range(min(checkins, 30))
    )
    members = [MemberFactory(program=program) for _ in range(4)]
    for i in range(rounds):
        round_ = RoundFactory(
            program=program,
            match_at=now - timedelta(days=2 + i),
            opt_in_at=now - timedelta(days=3 + i),
            state=RoundState.MATCHED,
        )
        MatchFactory(round=round_, number=1, members=members[:2])
        MatchFactory(round=round_, number=2, members=members[2:])
        OptInFactory(round=round_, member=members[0])


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


def test_query_count_does_not_grow_with_rows(host, host_client):
    small = hosted_program(user=host)
    large = hosted_program(user=host)
    _fill(small, sessions=1, registrations=1, checkins=1, rounds=1)
    _fill(large, sessions=12, registrations=40, checkins=30, rounds=5)
    for name in ("program_insights",):
        small_count = _queries(host_client, reverse(f"programs:{name}", args=[small.pk]))
        large_count = _queries(host_client, reverse(f"programs:{name}", args=[large.pk]))
        assert small_count == large_count
    for section, figure in (
        ("sessions", "per-session"),
        ("commitments", "streaks"),
        ("email", "attention"),
    ):
        small_url = reverse("programs:program_insights_csv", args=[small.pk, section, figure])
        large_url = reverse("programs:program_insights_csv", args=[large.pk, section, figure])
        assert _queries(host_client, small_url) == _queries(host_client, large_url)
    assert Commitment.objects.count() >= 2


def test_figures_are_reused_for_a_while_then_worked_out_again(
    host_client, program, sessions_data, settings
):
    url = reverse("programs:program_insights", args=[program.pk])
    assert _summary(host_client.get(url).content.decode(), "Registered") == "5"
    RegistrationFactory(session=sessions_data["held"])
    with CaptureQueriesContext(connection) as context:
        html = host_client.get(url).content.decode()
    assert _summary(html, "Registered") == "5"  # from the cache: the sections ran no query
    assert "worked out again after 2 minutes" in html
    cold = len(context)
    settings.INSIGHTS_CACHE_SECONDS = 0
    with CaptureQueriesContext(connection) as context:
        html = host_client.get(url).content.decode()
    assert _summary(html, "Registered") == "6"
    assert len(context) > cold + 10
