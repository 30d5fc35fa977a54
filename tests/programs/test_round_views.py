"""Host pages of rounds: scheduling, the live round page, rescheduling, cancelling, settings."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from programs.models import Round, RoundState
from programs.rounds import opt_in_answer, round_schedule
from reminders.dispatcher import outbox_dispatch
from tests.factories import (
    MatchFactory,
    MemberFactory,
    OptInFactory,
    RoundFactory,
    hosted_program,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_scheduling_a_weekly_round_in_a_zone(host, host_client) -> None:
    program = hosted_program(user=host, time_zone="Europe/Berlin")
    url = reverse("programs:round_create", kwargs={"program_id": program.pk})
    page = host_client.get(url).content.decode()
    assert page.index("Match moment") < page.index("Time zone")  # zone under the match date
    response = host_client.post(
        url,
        {
            "opt_in_at": "2026-06-03T09:00",
            "match_at": "2026-06-05T09:00",
            "time_zone": "America/New_York",
            "recurrence_weeks": "1",
        },
    )
    assert response.status_code == 302
    round_ = Round.objects.get()
    assert round_.match_at == datetime(2026, 6, 5, 13, 0, tzinfo=UTC)
    assert round_.opt_in_at == datetime(2026, 6, 3, 13, 0, tzinfo=UTC)
    assert (round_.time_zone, round_.recurrence_weeks, round_.state) == (
        "America/New_York",
        1,
        RoundState.SCHEDULED,
    )


def test_opt_in_now_opens_the_round_at_once(host, host_client) -> None:
    program = hosted_program(user=host)
    MemberFactory(program=program)
    host_client.post(
        reverse("programs:round_create", kwargs={"program_id": program.pk}),
        {
            "opt_in_now": "on",
            "match_at": "2026-06-05T09:00",
            "time_zone": "UTC",
            "recurrence_weeks": "0",
        },
    )
    round_ = Round.objects.get()
    assert round_.state == RoundState.OPEN
    assert outbox_dispatch(now=NOW).sent == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"opt_in_at": "2026-06-03T09:00", "match_at": "2026-05-05T09:00"},
            "must be in the future",
        ),
        ({"opt_in_at": "2026-06-06T09:00", "match_at": "2026-06-05T09:00"}, "before the match"),
        ({"opt_in_at": "", "match_at": "2026-06-05T09:00"}, "Pick the opt-in moment"),
        ({"opt_in_at": "2026-06-03T09:00", "match_at": "soon"}, "Enter a date and time"),
    ],
)
def test_bad_moments_get_a_clear_message_and_no_round(host, host_client, data, message) -> None:
    program = hosted_program(user=host)
    response = host_client.post(
        reverse("programs:round_create", kwargs={"program_id": program.pk}),
        {**data, "time_zone": "UTC", "recurrence_weeks": "0"},
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Round.objects.exists()


@pytest.mark.parametrize("match_at", ["9999-12-31T22:00", "0001-01-01T00:00"])
def test_a_match_moment_at_the_ends_of_the_calendar_is_refused(
    host, host_client, match_at: str
) -> None:
    program = hosted_program(user=host)
    response = host_client.post(
        reverse("programs:round_create", kwargs={"program_id": program.pk}),
        {
            "opt_in_at": "2026-06-03T09:00",
            "match_at": match_at,
            "time_zone": "America/New_York",
            "recurrence_weeks": "0",
        },
    )
    assert response.status_code == 400
    assert "Choose a date between 1900 and 2200." in response.content.decode()
    assert not Round.objects.exists()


def test_the_round_page_shows_the_live_counts_and_polls(host, host_client) -> None:
    program = hosted_program(user=host)
    people = [MemberFactory(program=program) for _ in range(4)]
    round_ = round_schedule(
        program=program, opt_in_at=NOW, match_at=NOW + timedelta(days=2), time_zone="UTC", now=NOW
    )
    outbox_dispatch(now=NOW)
    opt_in_answer(round_=round_, member=people[0], answer="yes", now=NOW + timedelta(hours=1))
    opt_in_answer(round_=round_, member=people[1], answer="yes", now=NOW + timedelta(hours=5))
    opt_in_answer(round_=round_, member=people[2], answer="no", now=NOW + timedelta(hours=6))
    url = reverse("programs:round_detail", kwargs={"program_id": program.pk, "round_id": round_.pk})
    page = host_client.get(url).content.decode()
    assert 'hx-trigger="every 5s"' in page
    live = reverse("programs:round_live", kwargs={"program_id": program.pk, "round_id": round_.pk})
    assert f'hx-get="{live}"' in page
    with time_machine.travel(NOW + timedelta(hours=7), tick=False):
        fragment = host_client.get(live)
    assert fragment.status_code == 200
    stats = fragment.context["stats"]
    assert (stats.opt_ins, stats.declines, stats.no_answer, stats.messages_sent) == (2, 1, 1, 4)
    text = fragment.content.decode()
    assert "<svg" in text and "<polyline" in text
    # The caption says what the chart shows: the range, the total and the reference line.
    caption = re.search(r'<figcaption id="round-chart-caption">(.*?)</figcaption>', text, re.S)
    words = re.sub(r"<[^>]+>", "", caption.group(1))
    assert "from the opt-in e-mail (Mon 1 Jun, 10:00 UTC)" in words
    assert "to the match (Wed 3 Jun, 10:00 UTC): 2 yes so far of the 4 members asked" in words
    # Axes with dates, the total at the line's end, the roster as a reference line.
    assert ">Tue 2 Jun</text>" in text and ">2 yes</text>" in text
    assert 'class="chart-reference"' in text and ">4 asked</text>" in text
    # The same numbers per day for screen readers.
    days = re.findall(r'<th scope="row">([^<]+)</th><td>(\d+)</td><td>(\d+)</td>', text)
    assert days == [("Mon 1 Jun 2026", "2", "2")]
    assert "Mon 1 Jun 2026, 10:00 UTC" in text


def test_rescheduling_from_the_page_moves_the_match(host, host_client) -> None:
    program = hosted_program(user=host)
    round_ = RoundFactory(
        program=program,
        opt_in_at=NOW + timedelta(days=1),
        match_at=NOW + timedelta(days=2),
        time_zone="UTC",
    )
    url = reverse("programs:round_edit", kwargs={"program_id": program.pk, "round_id": round_.pk})
    assert "Edit this round's schedule" in host_client.get(url).content.decode()
    response = host_client.post(
        url, {"opt_in_at": "2026-06-02T10:00", "match_at": "2026-06-10T18:00"}
    )
    assert response.status_code == 302
    round_.refresh_from_db()
    assert round_.match_at == datetime(2026, 6, 10, 18, 0, tzinfo=UTC)
    assert round_.sequence == 1


def test_cancelling_from_the_page(host, host_client) -> None:
    program = hosted_program(user=host)
    round_ = RoundFactory(program=program)
    url = reverse("programs:round_cancel", kwargs={"program_id": program.pk, "round_id": round_.pk})
    response = host_client.post(url, follow=True)
    assert "Round cancelled" in response.content.decode()
    round_.refresh_from_db()
    assert round_.state == RoundState.CANCELLED
    response = host_client.post(url, follow=True)
    assert "cancelled already" in response.content.decode()


def test_matching_settings_are_saved(host, host_client) -> None:
    program = hosted_program(user=host)
    host_client.post(
        reverse("programs:matching_settings", kwargs={"program_id": program.pk}),
        {"group_size": "3", "avoid_repeat_matches": "on"},
    )
    program.refresh_from_db()
    assert (program.group_size, program.is_opt_in_enabled, program.avoid_repeat_matches) == (
        3,
        False,
        True,
    )
    page = host_client.get(reverse("programs:round_create", kwargs={"program_id": program.pk}))
    assert "Opt-in moment" not in page.content.decode()


def test_another_hosts_round_answers_404(host_client) -> None:
    round_ = RoundFactory(program=hosted_program())
    for name in ("round_detail", "round_live", "round_edit"):
        url = reverse(
            f"programs:{name}", kwargs={"program_id": round_.program_id, "round_id": round_.pk}
        )
        assert host_client.get(url).status_code == 404


def test_the_round_list_and_the_overview_tabs(host, host_client) -> None:
    program = hosted_program(user=host)
    RoundFactory(program=program, match_at=NOW + timedelta(days=3))
    RoundFactory(program=program, match_at=NOW - timedelta(days=3), state=RoundState.MATCHED)
    page = host_client.get(
        reverse("programs:round_list", kwargs={"program_id": program.pk})
    ).content.decode()
    assert "Schedule a new round" in page and "Matched" in page and "Scheduled" in page
    overview = host_client.get(
        reverse("programs:overview", kwargs={"program_id": program.pk})
    ).content.decode()
    for tab in ("Members", "Rounds", "Planning"):
        assert f">{tab}</a>" in overview


@pytest.mark.parametrize("page", ["round_list", "member_list"])
def test_list_pages_queries_do_not_grow_with_the_rows(host, host_client, page: str) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for size in (2, 120):
        program = hosted_program(user=host)
        for i in range(size):
            round_ = RoundFactory(program=program, match_at=NOW + timedelta(days=i - size // 2))
            member = MemberFactory(program=program)
            OptInFactory(round=round_, member=member)
            MatchFactory(round=round_, members=[member])
        with CaptureQueriesContext(connection) as queries:
            response = host_client.get(
                reverse(f"programs:{page}", kwargs={"program_id": program.pk})
            )
        assert response.status_code == 200
        counts.append(len(queries))
        # Each count in a subquery of its own: one JOIN of opt-ins and matches would make
        # the database walk (opt-ins x groups) rows per round.
        for query in queries.captured_queries:
            assert not ("JOIN" in query["sql"] and '"programs_match"' in query["sql"])
    assert counts[0] == counts[1]


def _row_of(page: str, round_: Round) -> list[str]:
    """The figures on the round's card (opted in, groups)."""
    card = re.search(
        rf'<li class="round-card[^"]*">(?:(?!</li>).)*?/rounds/{round_.pk}/".*?</li>', page, re.S
    )
    return re.findall(r"<dd>(.*?)</dd>", card.group(0), re.S)


def test_the_round_list_counts_the_yeses_and_groups_of_each_round(host, host_client) -> None:
    program = hosted_program(user=host)
    people = MemberFactory.create_batch(7, program=program)
    busy = RoundFactory(program=program, state=RoundState.MATCHED)
    for person in people[:5]:
        OptInFactory(round=busy, member=person)
    for person in people[5:]:
        OptInFactory(round=busy, member=person, answer="no")
    for number, group in enumerate([people[0:2], people[2:4], people[4:5]], start=1):
        MatchFactory(round=busy, number=number, members=group)
    quiet = RoundFactory(program=program, match_at=NOW + timedelta(days=8))
    OptInFactory(round=quiet, member=people[0])
    empty = RoundFactory(program=program, match_at=NOW + timedelta(days=15))
    page = host_client.get(
        reverse("programs:round_list", kwargs={"program_id": program.pk})
    ).content.decode()
    assert _row_of(page, busy)[-2:] == ["5", "3"]
    assert _row_of(page, quiet)[-2:] == ["1", "0"]
    assert _row_of(page, empty)[-2:] == ["0", "0"]


def test_the_round_form_refuses_a_skipped_time_and_asks_which_repeated_one(
    host, host_client
) -> None:
    program = hosted_program(user=host, time_zone="Europe/Berlin", is_opt_in_enabled=False)
    url = reverse("programs:round_create", kwargs={"program_id": program.pk})
    base = {"time_zone": "Europe/Berlin", "recurrence_weeks": "1"}
    skipped = host_client.post(url, {**base, "match_at": "2027-03-28T02:30"})
    assert skipped.status_code == 400
    assert "02:30 does not exist on 28 March 2027 in Europe/Berlin" in skipped.text
    repeated = host_client.post(url, {**base, "match_at": "2026-10-25T02:30"})
    assert "02:30 happens twice on 25 October 2026" in repeated.text
    assert "Which 02:30?" in repeated.text
    assert "(CEST, UTC+2)" in repeated.text and "(CET, UTC+1)" in repeated.text
    assert not Round.objects.exists()
    chosen = host_client.post(
        url, {**base, "match_at": "2026-10-25T02:30", "match_at_which": "second"}
    )
    assert chosen.status_code == 302
    assert Round.objects.get().match_at == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
