from __future__ import annotations

from typing import Any

from django import forms

from commitments.models import Question, QuestionKind
from programs.questions import SCALE_CHOICES, choice_list, field_name, form_answers, form_field
from programs.timezones import TimeZoneField, is_valid_time_zone
from reminders.text import CheckedForm, CheckedModelForm


class StartForm(CheckedForm):
    code = forms.CharField(
        label="Session ID",
        max_length=40,
        help_text="The code your host shared, like ABCD-1234. Capitals, spaces and dashes don't matter.",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )


class QuestionForm(CheckedModelForm):
    class Meta:
        model = Question
        fields = ["text", "kind", "choices", "is_required"]
        labels = {"text": "Question", "is_required": "Required"}
        widgets = {"choices": forms.Textarea(attrs={"rows": 4})}

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("kind") == QuestionKind.SINGLE_CHOICE:
            choices = choice_list(cleaned.get("choices", ""))
            if len(choices) < 2:
                self.add_error("choices", "Give at least two choices, one per line.")
            elif len(set(choices)) != len(choices):
                self.add_error("choices", "Each choice must be different.")
        return cleaned


class CommitmentForm(CheckedForm):
    """Name, e-mail, zone and one field per active question of the module, in order."""

    participant_name = forms.CharField(label="Your name", max_length=200)
    participant_email = forms.EmailField(
        label="Your e-mail", max_length=254, help_text="We send your personal commitment link here."
    )
    time_zone = TimeZoneField(
        label="Your time zone",
        help_text="Your days start and end at midnight in this zone.",
    )

    def __init__(self, *args: Any, questions: list[Question], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            # commitments.js picks the browser's zone when it is in the list.
            self.fields["time_zone"].widget.attrs["data-browser-zone"] = "1"
        self.questions = questions
        for question in questions:
            label = question.text if question.is_required else f"{question.text} (optional)"
            self.fields[field_name(question)] = form_field(question, label=label)

    def clean_time_zone(self) -> str:
        value = self.cleaned_data["time_zone"]
        if not is_valid_time_zone(value):
            raise forms.ValidationError("Choose a time zone from the list.")
        return value

    def answers(self) -> dict[Question, str]:
        return dict(form_answers(self.cleaned_data, self.questions))


class CheckInForm(CheckedForm):
    is_done = forms.TypedChoiceField(
        label="Did you do it today?",
        choices=[("yes", "Yes, done"), ("no", "Not today")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    rating = forms.TypedChoiceField(
        label="How did it go? (optional)",
        choices=[("", "—"), *SCALE_CHOICES],
        coerce=int,
        empty_value=None,
        required=False,
        help_text="1 is the lowest, 10 the highest.",
    )
    note = forms.CharField(
        label="Note (optional)",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReminderForm(CheckedForm):
    reminder_time = forms.TimeField(
        label="Daily reminder at",
        required=False,
        help_text="Leave empty for no reminder. We skip the reminder on days you already checked in.",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )


class ReflectionForm(CheckedForm):
    reflection = forms.CharField(
        label="Looking back, what did you learn?",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
