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
from programs.timezones import is_valid_time_zone, time_zone_choices


def _viewer_zone(request: HttpRequest) -> ZoneInfo:
    """`?tz=` when given and valid, else the remembered viewer zone (the middleware's)."""
    name = request.GET.get("tz", "")
    if name and is_valid_time_zone(name):
        return ZoneInfo(name)
    current = timezone.get_current_timezone()
    return current if isinstance(current, ZoneInfo) else ZoneInfo(str(current))


def _render_planning(
    request: HttpRequest, *, program_ids: list[int], program: Program | None
) -> HttpResponse:
    zone = _viewer_zone(request)
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
        "zone_choices": time_zone_choices(),
        "today": today,
        "active_tab": "planning",
    }
    # Render inside the chosen zone, so every time on the page is shown in it.
    with timezone.override(zone):
        return render(request, "programs/planning.html", context)


@login_required
def program_planning(request: HttpRequest, program_id: int) -> HttpResponse:
    program = get_hosted_program_or_404(user=request.user, program_id=program_id)
    return _render_planning(request, program_ids=[program.pk], program=program)


@login_required
def host_planning(request: HttpRequest) -> HttpResponse:
    program_ids = list(programs_hosted_by(user=request.user).values_list("id", flat=True))
    return _render_planning(request, program_ids=program_ids, program=None)
