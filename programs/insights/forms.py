from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from django import forms

from programs.dates import validate_date_in_range
from programs.insights import RANGE_CHOICES, Period, last_days
from reminders.text import CheckedForm

MAX_CUSTOM_DAYS = 3 * 366


class InsightsPeriodForm(CheckedForm):
    """The period of the Insights pages: last 30 or 90 days, or two dates (in the viewer's
    zone). Invalid input shows its message and the last 30 days."""

    range = forms.ChoiceField(choices=RANGE_CHOICES, required=False, label="Period")
    start = forms.DateField(
        required=False,
        label="From",
        validators=[validate_date_in_range],
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    end = forms.DateField(
        required=False,
        label="To",
        validators=[validate_date_in_range],
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, data: Mapping[str, Any] | None = None, *, today: date) -> None:
        super().__init__(data)
        self.today = today

    def clean(self) -> dict:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("range") != "custom":
            return cleaned
        start, end = cleaned.get("start"), cleaned.get("end")
        if start is None or end is None:
            if not self.errors:
                raise forms.ValidationError("Give both dates of a custom period.")
            return cleaned
        if end < start:
            raise forms.ValidationError("The end date comes before the start date.")
        if (end - start).days >= MAX_CUSTOM_DAYS:
            raise forms.ValidationError("Choose a period of at most three years.")
        return cleaned

    def period(self) -> Period:
        if not self.is_valid():
            return last_days(30, today=self.today)
        key = self.cleaned_data.get("range") or "30"
        if key == "custom":
            return Period(
                key="custom",
                first_day=self.cleaned_data["start"],
                last_day=self.cleaned_data["end"],
            )
        return last_days(int(key), today=self.today)


def default_custom(today: date) -> tuple[date, date]:
    return today - timedelta(days=29), today
