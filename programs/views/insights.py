"""Insights pages: one program's tab and every hosted program at once, with CSV downloads of
each figure. The figures come from the sections registered in `programs.insights`."""

from __future__ import annotations

import csv
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.text import slugify

from programs import insights
from programs.csv_safety import CSV_CONTENT_TYPE, UTF8_BOM, csv_cell
from programs.insights.forms import InsightsPeriodForm
from programs.models import Program
from programs.selectors import get_hosted_program_or_404, programs_hosted_by
from programs.timezones import request_viewer_zone


def _viewer_zone(request: HttpRequest, program: Program | None) -> ZoneInfo:
    """The viewer's zone, else the program's (as the page's footer says), else UTC."""
    if request_viewer_zone(request) is None and program is not None:
        return ZoneInfo(program.time_zone)
    current = timezone.get_current_timezone()
    return current if isinstance(current, ZoneInfo) else ZoneInfo(str(current))


def _scope(
    request: HttpRequest, *, program_ids: list[int], is_page: bool, program: Program | None = None
) -> tuple[insights.Scope, InsightsPeriodForm, insights.Period]:
    zone = _viewer_zone(request, program)
    now = timezone.now()
    form = InsightsPeriodForm(request.GET or None, today=now.astimezone(zone).date())
    period = form.period()
    start, end = period.bounds(zone)
    scope = insights.Scope(
        program_ids=program_ids, start=start, end=end, now=now, zone=zone, is_page=is_page
    )
    return scope, form, period


def _render(request: HttpRequest, *, program: Program | None, program_ids: list[int]):
    scope, form, period = _scope(request, program_ids=program_ids, is_page=True, program=program)
    return render(
        request,
        "programs/insights.html",
        {
            "program": program,
            "form": form,
            "period": period,
            "sections": insights.build_sections(scope),
            "zone_name": scope.zone.key,
            "cache_minutes": round(insights.cache_seconds() / 60)
            if insights.cache_seconds()
            else 0,
            "active_tab": "insights",
        },
    )


def _csv(
    request: HttpRequest,
    *,
    program_ids: list[int],
    section: str,
    figure: str,
    name: str,
    program: Program | None = None,
) -> HttpResponse:
    scope, _, period = _scope(request, program_ids=program_ids, is_page=False, program=program)
    built = insights.build_section(section, scope)
    chosen = built.figure(figure) if built else None
    if built is None or chosen is None:
        raise Http404("No such figure.")
    response = HttpResponse(UTF8_BOM, content_type=CSV_CONTENT_TYPE)
    filename = slugify(f"{name} {built.title} {chosen.title} {period.first_day} {period.last_day}")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    writer = csv.writer(response)
    writer.writerow([csv_cell(column) for column in chosen.columns])
    for row in chosen.rows:
        writer.writerow(
            [
                "" if cell is None else csv_cell(cell) if isinstance(cell, str) else cell
                for cell in row
            ]
        )
    return response


@login_required
def program_insights(request: HttpRequest, program_id: int) -> HttpResponse:
    program = get_hosted_program_or_404(user=request.user, program_id=program_id)
    return _render(request, program=program, program_ids=[program.pk])


@login_required
def program_insights_csv(
    request: HttpRequest, program_id: int, section: str, figure: str
) -> HttpResponse:
    program = get_hosted_program_or_404(user=request.user, program_id=program_id)
    return _csv(
        request,
        program_ids=[program.pk],
        section=section,
        figure=figure,
        name=program.name,
        program=program,
    )


def _hosted_ids(request: HttpRequest) -> list[int]:
    return list(programs_hosted_by(user=request.user).values_list("id", flat=True))


@login_required
def host_insights(request: HttpRequest) -> HttpResponse:
    return _render(request, program=None, program_ids=_hosted_ids(request))


@login_required
def host_insights_csv(request: HttpRequest, section: str, figure: str) -> HttpResponse:
    return _csv(
        request,
        program_ids=_hosted_ids(request),
        section=section,
        figure=figure,
        name="all programs",
    )
