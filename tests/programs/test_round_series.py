"""Recurring rounds keep the series' local wall time, whatever daylight saving does (hypothesis).

Every zone of the installed tzdata that changes its offset in the next three years is tried,
with 1-, 2-, 3- and 4-week series started at local times just before, inside and just after
each gap (clocks go forward) and overlap (clocks go back). The round form and the session form
read the same local times: both refuse the ones that do not exist and ask about the repeated
ones.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from programs.models import Program
from programs.round_forms import RoundScheduleForm
from programs.rounds import round_match, round_schedule, series_occurrence
from programs.timezones import time_zone_choices
from sessions_app.forms import SessionForm
from tests.factories import MemberFactory, ProgramFactory

FROM = datetime(2026, 12, 1, tzinfo=UTC)
YEARS = 3


@lru_cache(maxsize=1)
def _transitions() -> dict[str, list[tuple[datetime, timedelta]]]:
    """{zone: [(UTC instant of an offset change, the change)]} over the next three years."""
    found: dict[str, list[tuple[datetime, timedelta]]] = {}
    for name in sorted(zoneinfo.available_timezones()):
        zone = ZoneInfo(name)
        changes = []
        step = timedelta(hours=6)
        previous = FROM.astimezone(zone).utcoffset()
        moment = FROM
        while moment < FROM + timedelta(days=365 * YEARS):
            moment += step
            offset = moment.astimezone(zone).utcoffset()
            if offset != previous:
                low = moment - step  # narrow to the minute
                while moment - low > timedelta(minutes=1):
                    middle = low + (moment - low) / 2
                    if middle.astimezone(zone).utcoffset() == previous:
                        low = middle
                    else:
                        moment = middle
                changes.append((moment.replace(second=0, microsecond=0), offset - previous))
                previous = offset
        if changes:
            found[name] = changes
    return found


def _exists(naive: datetime, zone: ZoneInfo) -> bool:
    return naive.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive


def _is_ambiguous(naive: datetime, zone: ZoneInfo) -> bool:
    return (
        naive.replace(tzinfo=zone, fold=0).utcoffset()
        != naive.replace(tzinfo=zone, fold=1).utcoffset()
    )


@lru_cache(maxsize=1)
def _offered_zones() -> frozenset[str]:
    """The zones the forms offer: canonical names (aliases such as "GB" are not offered)."""
    return frozenset(value for value, _ in time_zone_choices())


@st.composite
def _series_starts(draw, *, offered_only: bool = False):
    """(zone, local wall time near a transition, weeks): before, inside or after a gap/overlap."""
    transitions = _transitions()
    names = sorted(transitions)
    if offered_only:
        names = [name for name in names if name in _offered_zones()]
    name = draw(st.sampled_from(names))
    zone = ZoneInfo(name)
    instant, change = draw(st.sampled_from(transitions[name]))
    # The wall time just before the change, moved by up to the change's size and a bit more
    # either way: before, inside (gap or repeated hour) and after.
    wall_before = (instant - timedelta(minutes=1)).astimezone(zone).replace(tzinfo=None)
    span = int(abs(change).total_seconds() // 60) + 90
    minutes = draw(st.integers(min_value=-span, max_value=span))
    # The series starts some weeks before the change, at that wall time.
    weeks = draw(st.sampled_from([1, 2, 3, 4]))
    weeks_before = draw(st.integers(min_value=0, max_value=6))
    local = wall_before + timedelta(minutes=minutes + 1) - timedelta(weeks=weeks * weeks_before)
    return name, local.replace(second=0), weeks


def test_the_installed_tzdata_has_zones_with_transitions_to_try() -> None:
    transitions = _transitions()
    assert "Europe/Berlin" in transitions and "America/New_York" in transitions
    assert len(transitions) > 50


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_series_starts())
def test_every_occurrence_that_exists_lands_on_the_series_wall_time(start) -> None:
    name, local, weeks = start
    zone = ZoneInfo(name)
    first = local.replace(tzinfo=zone).astimezone(UTC)
    first_wall = first.astimezone(zone).replace(tzinfo=None)
    for index in range(1, 16):
        intended = first_wall + timedelta(weeks=weeks * index)
        occurrence = series_occurrence(first=first, time_zone=name, weeks=weeks, index=index)
        wall = occurrence.astimezone(zone).replace(tzinfo=None)
        if _exists(intended, zone):
            assert wall == intended, (name, local, weeks, index)
        else:  # inside a gap: moved forwards by the gap, and only this one
            assert wall > intended and wall - intended <= timedelta(hours=3)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_series_starts(offered_only=True))
def test_the_round_form_refuses_times_that_do_not_exist_and_asks_about_repeated_ones(
    start,
) -> None:
    name, local, _ = start
    zone = ZoneInfo(name)
    program = Program(name="Circle", time_zone=name, is_opt_in_enabled=False)
    data = {"match_at": f"{local:%Y-%m-%dT%H:%M}", "time_zone": name, "recurrence_weeks": "1"}
    form = RoundScheduleForm(data=data, program=program)
    if not _exists(local, zone):
        assert not form.is_valid()
        assert "does not exist" in str(form.errors["match_at"])
    elif _is_ambiguous(local, zone):
        assert not form.is_valid()
        assert "happens twice" in str(form.errors["match_at"])
        assert "match_at_which" in form.fields  # the question is on the page
        _assert_the_question_names_both_offsets(form, "match_at_which", local, zone)
        for which, fold in (("first", 0), ("second", 1)):
            answered = RoundScheduleForm(data={**data, "match_at_which": which}, program=program)
            assert answered.is_valid(), answered.errors
            assert answered.cleaned_data["match_at"] == local.replace(
                tzinfo=zone, fold=fold
            ).astimezone(UTC)
    else:
        assert form.is_valid(), form.errors
        assert form.cleaned_data["match_at"] == local.replace(tzinfo=zone).astimezone(UTC)


def _assert_the_question_names_both_offsets(form, name: str, local: datetime, zone) -> None:
    earlier, later = local.replace(tzinfo=zone, fold=0), local.replace(tzinfo=zone, fold=1)
    [(_, earlier_label), (_, later_label)] = form.fields[name].choices
    assert earlier_label.startswith("The earlier one") and earlier.strftime("%Z") in earlier_label
    assert later_label.startswith("The later one") and later.strftime("%Z") in later_label
    assert form.fields[name].label == f"Which {local:%H:%M}?"
    # Asked right after the time it is about.
    names = list(form.fields)
    assert names.index(name) == names.index(name.removesuffix("_which")) + 1


@pytest.mark.django_db
@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(_series_starts(offered_only=True))
def test_the_session_form_refuses_times_that_do_not_exist_and_asks_about_repeated_ones(
    start,
) -> None:
    name, local, _ = start
    zone = ZoneInfo(name)
    program = Program(pk=1, name="Circle", time_zone=name)  # never saved: no module to list
    data = {
        "title": "Morning focus",
        "time_zone": name,
        "starts_on": f"{local:%Y-%m-%d}",
        "starts_time": f"{local:%H:%M}",
        "duration_minutes": "60",
        "theme": "meeting",
    }
    now = datetime(2020, 1, 1, tzinfo=UTC)
    form = SessionForm(data=data, program=program, now=now)
    if not _exists(local, zone):
        assert not form.is_valid()
        assert "does not exist" in str(form.errors["starts_time"])
        assert "clocks skip that hour" in str(form.errors["starts_time"])
        assert "starts_time_which" not in form.fields
    elif _is_ambiguous(local, zone):
        assert not form.is_valid()
        assert "happens twice" in str(form.errors["starts_time"])
        _assert_the_question_names_both_offsets(form, "starts_time_which", local, zone)
        for which, fold in (("first", 0), ("second", 1)):
            answered = SessionForm(
                data={**data, "starts_time_which": which}, program=program, now=now
            )
            assert answered.is_valid(), answered.errors
            assert answered.cleaned_data["starts_at"] == local.replace(
                tzinfo=zone, fold=fold
            ).astimezone(UTC)
    else:
        assert form.is_valid(), form.errors
        assert form.cleaned_data["starts_at"] == local.replace(tzinfo=zone).astimezone(UTC)
        assert "starts_time_which" not in form.fields


@pytest.mark.django_db
@pytest.mark.parametrize("weeks", [1, 2, 4])
def test_a_series_at_0230_in_berlin_is_back_at_0230_after_the_spring_forward_day(weeks) -> None:
    """The drift of the issue: one round in the skipped hour moved every later one to 03:30."""
    program = ProgramFactory(is_opt_in_enabled=False)
    MemberFactory(program=program)
    MemberFactory(program=program)
    berlin = ZoneInfo("Europe/Berlin")
    # Sunday 29 March 2026 has no 02:30 in Berlin; the series meets it as its second round.
    first_local = datetime(2026, 3, 29, 2, 30) - timedelta(weeks=weeks)
    first = first_local.replace(tzinfo=berlin).astimezone(UTC)
    current = round_schedule(
        program=program,
        opt_in_at=None,
        match_at=first,
        time_zone="Europe/Berlin",
        recurrence_weeks=weeks,
        now=first - timedelta(days=1),
    )
    walls = []
    for _ in range(4):
        current = round_match(round_id=current.pk, now=current.match_at).next_round
        walls.append(current.match_at.astimezone(berlin).strftime("%Y-%m-%d %H:%M"))
    gap_day = date(2026, 3, 29)
    assert walls[0] == f"{gap_day} 03:30"  # the one that does not exist, moved forwards
    later = [wall[-5:] for wall in walls[1:]]
    assert later == ["02:30", "02:30", "02:30"]
