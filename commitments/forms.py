from __future__ import annotations

from typing import Any

from django import forms

from commitments.models import Question, QuestionKind
from programs.timezones import TimeZoneField, is_valid_time_zone
from reminders.text import CheckedForm, CheckedModelForm

SCALE_CHOICES = [(str(n), str(n)) for n in range(1, 11)]


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
            choices = [
                line.strip() for line in cleaned.get("choices", "").splitlines() if line.strip()
            ]
            if len(choices) < 2:
                self.add_error("choices", "Give at least two choices, one per line.")
            elif len(set(choices)) != len(choices):
                self.add_error("choices", "Each choice must be different.")
        return cleaned


def _answer_field(question: Question) -> forms.Field:
    label = question.text if question.is_required else f"{question.text} (optional)"
    common: dict[str, Any] = {"label": label, "required": question.is_required}
    if question.kind == QuestionKind.LONG_TEXT:
        return forms.CharField(max_length=5000, widget=forms.Textarea(attrs={"rows": 4}), **common)
    if question.kind == QuestionKind.NUMBER:
        return forms.DecimalField(max_digits=12, decimal_places=2, **common)
    if question.kind == QuestionKind.SINGLE_CHOICE:
        return forms.ChoiceField(
            choices=[(choice, choice) for choice in question.choice_list],
            widget=forms.RadioSelect,
            **common,
        )
    if question.kind == QuestionKind.SCALE_1_10:
        return forms.ChoiceField(
            choices=SCALE_CHOICES,
            widget=forms.RadioSelect(attrs={"class": "scale"}),
            help_text="1 is the lowest, 10 the highest.",
            **common,
        )
    return forms.CharField(max_length=500, **common)


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
            self.fields[f"question_{question.pk}"] = _answer_field(question)

    def clean_time_zone(self) -> str:
        value = self.cleaned_data["time_zone"]
        if not is_valid_time_zone(value):
            raise forms.ValidationError("Choose a time zone from the list.")
        return value

    def answers(self) -> dict[Question, str]:
        answers = {}
        for question in self.questions:
            value = self.cleaned_data.get(f"question_{question.pk}")
            answers[question] = "" if value is None else str(value)
        return answers


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
