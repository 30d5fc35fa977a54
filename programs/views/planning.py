"""Planning: a month or week calendar and a list of rounds (and registered sources such as
sessions), for one program or every program the host hosts, in a zone the viewer picks."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from programs import planning
from programs.dates import date_in_range
from programs.models import Program
from programs.selectors import get_hosted_program_or_404, programs_hosted_by
from programs.timezones import canonical_time_zone, request_viewer_zone, time_zone_choices


def _planning_zone(request: HttpRequest, *, program_zone: str) -> tuple[str, str]:
    """(zone, why): `?tz=` when given and valid, else the viewer's zone (chosen or their
    browser's), else the program's (for every program: the first one's)."""
    name = canonical_time_zone(request.GET.get("tz", ""))
    if name:
        return name, "picked above"
    viewer = request_viewer_zone(request)
    if viewer:
        return viewer[0], ""
    return program_zone, "the program's zone"


def _render_planning(
    request: HttpRequest, *, program_ids: list[int], program: Program | None, program_zone: str
) -> HttpResponse:
    zone_name, reason = _planning_zone(request, program_zone=program_zone)
    zone = ZoneInfo(zone_name)
    view = request.GET.get("view", "month")
    if view not in planning.VIEWS:
        view = "month"
    today = timezone.now().astimezone(zone).date()
    try:
        anchor = date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        anchor = today
    if not date_in_range(anchor):
        # A period grown around a date near year 1 or 9999 would overflow.
        anchor = today
    period = planning.planning_period(view=view, anchor=anchor)
    start, end = period.bounds(zone)
    entries = planning.planning_entries(program_ids=program_ids, start=start, end=end)
    days = planning.planning_days(period=period, entries=entries, zone=zone, today=today)
    context = {
        "program": program,
        "period": period,
        "days": days,
        "weeks": planning.weeks_of(days),
        "weekday_names": planning.WEEKDAY_NAMES,
        "entries": entries,
        "zone_name": str(zone.key),
        "zone_choices": time_zone_choices(likely=[zone_name, program_zone]),
        "page_zone_name": zone_name,
        "page_zone_reason": reason,
        "today": today,
        "active_tab": "planning",
    }
    # Render inside the chosen zone, so every time on the page is shown in it.
    with timezone.override(zone):
        return render(request, "programs/planning.html", context)


@login_required
def program_planning(request: HttpRequest, program_id: int) -> HttpResponse:
    program = get_hosted_program_or_404(user=request.user, program_id=program_id)
    return _render_planning(
        request, program_ids=[program.pk], program=program, program_zone=program.time_zone
    )


@login_required
def host_planning(request: HttpRequest) -> HttpResponse:
    hosted = list(
        programs_hosted_by(user=request.user).order_by("id").values_list("id", "time_zone")
    )
    return _render_planning(
        request,
        program_ids=[program_id for program_id, _ in hosted],
        program=None,
        program_zone=hosted[0][1] if hosted else "UTC",
    )
