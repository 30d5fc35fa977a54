"""A round's grouping: before the match moment a preview with swaps, afterwards what was sent."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from programs import round_preview, round_selectors
from programs.models import Match, Member, Round
from programs.rounds import MATCH_KIND
from reminders.models import Message
from reminders.text import CheckedForm


class SwapForm(CheckedForm):
    first = forms.TypedChoiceField(coerce=int, label="Swap")
    second = forms.TypedChoiceField(coerce=int, label="with")

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["first"]).choices = choices
        cast(forms.ChoiceField, self.fields["second"]).choices = choices

    def clean(self) -> dict:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("first") is not None and cleaned.get("first") == cleaned.get("second"):
            raise forms.ValidationError("Choose two different people.")
        return cleaned


def _names(ids: list[int]) -> dict[int, Member]:
    return Member.objects.in_bulk(ids)


def _preview_context(round_: Round) -> dict[str, Any]:
    grouping = round_preview.round_grouping(round_=round_)
    people = _names(grouping.participants)
    in_trio = {m for group in grouping.groups if len(group) > 2 for m in group}
    groups = [
        {
            "number": number,
            "members": [people[m] for m in group if m in people],
            "repeats": [[people[m] for m in sorted(pair)] for pair in grouping.repeats_in(group)],
            "is_trio": len(group) > 2,
        }
        for number, group in enumerate(grouping.groups, start=1)
    ]
    choices = [
        (member.pk, member.name)
        for member in sorted(
            (people[m] for group in grouping.groups for m in group), key=lambda m: m.name
        )
    ]
    return {
        "groups": groups,
        "unmatched": [people[m] for m in grouping.unmatched if m in people],
        "avoided": [[people[m] for m in sorted(pair)] for pair in grouping.avoided],
        "has_trio": bool(in_trio),
        "group_size": round_.program.group_size,
        "swaps": [(people.get(a), people.get(b)) for a, b in grouping.applied_swaps],
        "choices": choices,
    }


def _sent_context(round_: Round) -> dict[str, object]:
    matches = list(Match.objects.filter(round=round_).prefetch_related("members"))
    sent = {
        message.payload.get("member_id"): message
        for message in Message.objects.filter(topic=round_.topic, kind=MATCH_KIND).only(
            "payload", "status", "recipient_email", "sent_at"
        )
    }
    return {
        "sent_groups": [
            {
                "number": match.number,
                "members": [(member, sent.get(member.pk)) for member in match.members.all()],
            }
            for match in matches
        ],
    }


@login_required
def round_grouping(request: HttpRequest, program_id: int, round_id: int) -> HttpResponse:
    round_ = round_selectors.get_hosted_round_or_404(
        user=request.user, program_id=program_id, round_id=round_id
    )
    context: dict[str, Any] = {
        "program": round_.program,
        "round": round_,
        "active_tab": "rounds",
    }
    if round_.is_changeable:
        context.update(_preview_context(round_))
        choices = context["choices"]
        initial = {"second": choices[1][0]} if len(choices) > 1 else {}
        context["form"] = SwapForm(choices=choices, initial=initial)
    else:
        context.update(_sent_context(round_))
    return render(request, "programs/round_grouping.html", context)


@login_required
@require_POST
def round_grouping_swap(request: HttpRequest, program_id: int, round_id: int) -> HttpResponse:
    round_ = round_selectors.get_hosted_round_or_404(
        user=request.user, program_id=program_id, round_id=round_id
    )
    back = redirect("programs:round_grouping", program_id=program_id, round_id=round_id)
    if not round_.is_changeable:
        messages.error(request, "This round is matched already: its groups can no longer change.")
        return back
    if "clear" in request.POST:
        round_preview.round_swaps_clear(round_id=round_.pk)
        messages.success(request, "Swaps undone: the grouping is the computed one again.")
        return back
    context = _preview_context(round_)
    form = SwapForm(request.POST, choices=context["choices"])
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return back
    outcome = round_preview.round_swap(
        round_id=round_.pk,
        first_id=form.cleaned_data["first"],
        second_id=form.cleaned_data["second"],
    )
    if not outcome.is_applied:
        messages.error(request, "Those two are in the same group already.")
    elif outcome.breaks_rule:
        people = _names([m for pair in outcome.breaks_rule for m in pair])
        names = "; ".join(
            " and ".join(people[m].name for m in sorted(pair)) for pair in outcome.breaks_rule
        )
        messages.warning(
            request, f"Swapped. This breaks the no-repeat rule: {names} met in an earlier round."
        )
    else:
        messages.success(request, "Swapped. The grouping still keeps the no-repeat rule.")
    return back
