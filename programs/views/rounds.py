"""Host pages of matching rounds: the list, scheduling, the live round page, settings."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from programs import round_selectors, rounds
from programs.requests import AuthenticatedHttpRequest
from programs.round_forms import MatchingSettingsForm, RoundScheduleForm
from programs.selectors import get_hosted_program_or_404


@login_required
def round_list(request: HttpRequest, program_id: int) -> HttpResponse:
    program = get_hosted_program_or_404(user=request.user, program_id=program_id)
    now = timezone.now()
    all_rounds = round_selectors.program_rounds(program=program)
    context = {
        "program": program,
        "upcoming": all_rounds.filter(match_at__gt=now).order_by("match_at", "id")[:50],
        "past": all_rounds.filter(match_at__lte=now).order_by("-match_at", "-id")[:50],
        "settings_form": MatchingSettingsForm(instance=program),
        "active_tab": "rounds",
    }
    return render(request, "programs/round_list.html", context)


@login_required
@require_POST
def matching_settings(request: HttpRequest, program_id: int) -> HttpResponse:
    program = get_hosted_program_or_404(user=request.user, program_id=program_id)
    form = MatchingSettingsForm(request.POST, instance=program)
    if form.is_valid():
        rounds.program_matching_update(program=program, **form.cleaned_data)
        messages.success(request, "Matching settings saved.")
        return redirect("programs:round_list", program_id=program.pk)
    messages.error(request, "The matching settings were not saved: check the values.")
    return redirect("programs:round_list", program_id=program.pk)


@login_required
def round_create(request: AuthenticatedHttpRequest, program_id: int) -> HttpResponse:
    program = get_hosted_program_or_404(user=request.user, program_id=program_id)
    form = RoundScheduleForm(request.POST or None, program=program)
    if request.method == "POST" and form.is_valid():
        now = timezone.now()
        opt_in_at = form.cleaned_data.get("opt_in_at")
        try:
            round_ = rounds.round_schedule(
                program=program,
                match_at=form.cleaned_data["match_at"],
                opt_in_at=now if opt_in_at == "now" else opt_in_at,
                time_zone=form.cleaned_data["time_zone"],
                recurrence_weeks=form.cleaned_data["recurrence_weeks"],
                created_by=request.user,
                now=now,
            )
        except rounds.RoundError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Round scheduled.")
            return redirect("programs:round_detail", program_id=program.pk, round_id=round_.pk)
    status = 400 if form.errors else 200
    return render(
        request,
        "programs/round_form.html",
        {"form": form, "program": program, "round": None, "active_tab": "rounds"},
        status=status,
    )


@login_required
def round_edit(request: HttpRequest, program_id: int, round_id: int) -> HttpResponse:
    """“Update this session schedule”: move the match (and a pending opt-in)."""
    round_ = round_selectors.get_hosted_round_or_404(
        user=request.user, program_id=program_id, round_id=round_id
    )
    if not round_.is_changeable:
        messages.info(request, f"This round is {round_.get_state_display().lower()}.")
        return redirect("programs:round_detail", program_id=program_id, round_id=round_id)
    form = RoundScheduleForm(request.POST or None, program=round_.program, round_=round_)
    if request.method == "POST" and form.is_valid():
        now = timezone.now()
        try:
            rounds.round_reschedule(
                round_=round_,
                match_at=form.cleaned_data["match_at"],
                opt_in_at=form.cleaned_data.get("opt_in_at"),
                now=now,
            )
        except rounds.RoundError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Schedule updated.")
            return redirect("programs:round_detail", program_id=program_id, round_id=round_id)
    return render(
        request,
        "programs/round_form.html",
        {"form": form, "program": round_.program, "round": round_, "active_tab": "rounds"},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def round_cancel(request: HttpRequest, program_id: int, round_id: int) -> HttpResponse:
    round_ = round_selectors.get_hosted_round_or_404(
        user=request.user, program_id=program_id, round_id=round_id
    )
    try:
        rounds.round_cancel(round_=round_, now=timezone.now())
    except rounds.RoundError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Round cancelled: nothing more will be sent for it.")
    return redirect("programs:round_detail", program_id=program_id, round_id=round_id)


def _round_context(request: HttpRequest, round_: rounds.Round) -> dict[str, object]:
    return {
        "program": round_.program,
        "round": round_,
        "stats": round_selectors.round_stats(round_=round_, now=timezone.now()),
        "active_tab": "rounds",
    }


@login_required
def round_detail(request: HttpRequest, program_id: int, round_id: int) -> HttpResponse:
    round_ = round_selectors.get_hosted_round_or_404(
        user=request.user, program_id=program_id, round_id=round_id
    )
    context = _round_context(request, round_)
    context["groups"] = round_selectors.round_groups(round_=round_)
    return render(request, "programs/round_detail.html", context)


@login_required
def round_live(request: HttpRequest, program_id: int, round_id: int) -> HttpResponse:
    """The fragment the round page polls (htmx) while the round is scheduled or open."""
    round_ = round_selectors.get_hosted_round_or_404(
        user=request.user, program_id=program_id, round_id=round_id
    )
    return render(request, "programs/includes/round_live.html", _round_context(request, round_))
