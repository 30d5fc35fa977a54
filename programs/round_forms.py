"""Forms of the roster and of matching rounds."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms

from programs.dates import validate_date_in_range
from programs.local_times import LocalTimeFormMixin
from programs.members import MAX_UPLOAD_BYTES
from programs.models import Program, Recurrence, Round, RoundState
from programs.timezones import TimeZoneField
from reminders.text import CheckedForm, CheckedModelForm


class MemberForm(CheckedForm):
    name = forms.CharField(max_length=200)
    email = forms.EmailField(label="E-mail address", max_length=254)
    time_zone = TimeZoneField(
        blank_label="— the round's zone —",
        required=False,
        help_text="Times in this member's e-mails are shown in this zone.",
    )
    category = forms.CharField(max_length=100, required=False)


class MemberUploadForm(CheckedForm):
    file = forms.FileField(
        label="CSV file",
        help_text="A header row with name and email, optionally time_zone and category. UTF-8, up to 2 MB.",
    )

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                "The file is larger than 2 MB; split it into smaller files."
            )
        return upload.read()


class MatchingSettingsForm(CheckedModelForm):
    group_size = forms.TypedChoiceField(
        choices=[(2, "Pairs (2)"), (3, "Trios (3)")], coerce=int, initial=2
    )

    class Meta:
        model = Program
        fields = ["is_opt_in_enabled", "group_size", "avoid_repeat_matches"]


def _local_input(label: str, *, required: bool = True, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


def _parse_local(value: str) -> datetime:
    try:
        naive = datetime.fromisoformat(value.strip())
    except ValueError:
        raise forms.ValidationError("Enter a date and time like 2026-03-30 09:00.") from None
    naive = naive.replace(tzinfo=None)
    validate_date_in_range(naive.date())
    return naive


class RoundScheduleForm(LocalTimeFormMixin, CheckedForm):
    """Moments are typed as local wall-clock times in the zone chosen under the match date."""

    opt_in_now = forms.BooleanField(label="Send the opt-in now", required=False)
    opt_in_at = _local_input(
        "Opt-in moment",
        required=False,
        help_text="When members get the Yes/No e-mail. Leave empty with “now” ticked to send it at once.",
    )
    match_at = _local_input("Match moment", help_text="When the groups are made and introduced.")
    time_zone = TimeZoneField(label="Time zone")
    recurrence_weeks = forms.TypedChoiceField(
        label="Repeat",
        choices=Recurrence.choices,
        coerce=int,
        initial=Recurrence.ONCE,
        help_text="Repeats keep the same weekday and local time, across daylight-saving changes.",
    )

    def __init__(
        self, *args: Any, program: Program, round_: Round | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.program = program
        self.round = round_
        self.fields["time_zone"].initial = program.time_zone
        if not program.is_opt_in_enabled:
            del self.fields["opt_in_now"]
            del self.fields["opt_in_at"]
        if round_ is not None:
            del self.fields["recurrence_weeks"]
            self.fields["time_zone"].disabled = True
            zone = ZoneInfo(round_.time_zone)
            self.initial["time_zone"] = round_.time_zone
            self.initial["match_at"] = round_.match_at.astimezone(zone).strftime("%Y-%m-%dT%H:%M")
            self._ask_which_initially(name="match_at", local=round_.match_at.astimezone(zone))
            if "opt_in_at" in self.fields:
                self.fields.pop("opt_in_now")
                if round_.opt_in_at is not None:
                    self.initial["opt_in_at"] = round_.opt_in_at.astimezone(zone).strftime(
                        "%Y-%m-%dT%H:%M"
                    )
                if round_.state == RoundState.OPEN:
                    self.fields["opt_in_at"].disabled = True
                    self.fields["opt_in_at"].help_text = "The opt-in e-mails went out already."

    def _local(self, name: str, zone: ZoneInfo) -> datetime | None:
        """Field `name` read in `zone`; a time that happens twice adds the question which."""
        try:
            naive = _parse_local(self.cleaned_data[name])
        except forms.ValidationError as error:
            self.add_error(name, error)
            return None
        return self._local_instant(name=name, naive=naive, zone=zone)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        zone_name = cleaned.get("time_zone")
        if not zone_name:
            return cleaned
        zone = ZoneInfo(zone_name)
        if cleaned.get("match_at"):
            match_at = self._local("match_at", zone)
            if match_at is not None:
                cleaned["match_at"] = match_at
        if self.round is not None and self.round.state == RoundState.OPEN:
            cleaned["opt_in_at"] = self.round.opt_in_at
        elif "opt_in_at" in self.fields:
            raw = cleaned.get("opt_in_at") or ""
            if cleaned.get("opt_in_now"):
                cleaned["opt_in_at"] = "now"
            elif raw:
                opt_in_at = self._local("opt_in_at", zone)
                if opt_in_at is not None:
                    cleaned["opt_in_at"] = opt_in_at
            else:
                self.add_error(
                    "opt_in_at", "Pick the opt-in moment, or tick “Send the opt-in now”."
                )
        else:
            cleaned["opt_in_at"] = None
        return cleaned
