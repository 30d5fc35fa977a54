"""The one question component: what a question can be, how it is asked, what an answer keeps.

Registration questions (`sessions_app.RegistrationQuestion`, asked on a session's
registration page) and module questions (`commitments.Question`, asked when a participant
makes a commitment) are both asked through these functions. Each app keeps its own model (its
own owner, wording and defaults) and offers a subset of `QuestionKind` (`offered`); how a kind
is asked, how its answer is stored as text and what an answer copies of its question are
decided here, once.

An answer keeps the question's text (and kind and place) as it read when it was answered, so
editing or removing a question never rewrites what people answered (`answer_snapshot`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from django import forms
from django.db import models

SHORT_ANSWER_MAX = 500
LONG_ANSWER_MAX = 5000
SCALE_CHOICES = [(str(n), str(n)) for n in range(1, 11)]


class QuestionKind(models.TextChoices):
    """Every kind of question; each app offers some of them (`offered`)."""

    SHORT_TEXT = "short_text", "Short text"
    LONG_TEXT = "long_text", "Long text"
    NUMBER = "number", "Number"
    SINGLE_CHOICE = "single_choice", "Single choice"
    CHECKBOX = "checkbox", "Checkbox (one box, or several with choices)"
    SCALE_1_10 = "scale_1_10", "Scale from 1 to 10"


# The kinds whose `choices` mean something; the others store none.
KINDS_WITH_CHOICES = frozenset({QuestionKind.SINGLE_CHOICE, QuestionKind.CHECKBOX})


def offered(kind: QuestionKind) -> tuple[str, str]:
    """A member of an app's own kinds (a `TextChoices`): this kind's value and label."""
    return kind.value, str(kind.label)


class AskedQuestion(Protocol):
    """What every question model has (under its own field names where they differ)."""

    pk: Any
    kind: str
    choices: str
    is_required: bool
    position: int

    @property
    def prompt(self) -> str:
        """The question as participants read it."""
        ...


AskedT = TypeVar("AskedT", bound=AskedQuestion)


def choice_list(choices: str) -> list[str]:
    """The choices typed one per line, without blank lines or surrounding spaces."""
    return [line.strip() for line in choices.splitlines() if line.strip()]


def choices_kept(*, kind: str, choices: str) -> str:
    """What a question of `kind` stores of the typed choices: nothing unless it offers choices."""
    return choices if kind in KINDS_WITH_CHOICES else ""


def field_name(question: AskedQuestion) -> str:
    """The form field a question's answer is posted in."""
    return f"question_{question.pk}"


def form_field(question: AskedQuestion, *, label: str | None = None) -> forms.Field:
    """The field that asks `question` (its prompt as the label unless `label` is given).

    A checkbox question with choices is several boxes, without choices one yes/no box.
    """
    common: dict[str, Any] = {
        "label": question.prompt if label is None else label,
        "required": question.is_required,
    }
    choices = [(choice, choice) for choice in choice_list(question.choices)]
    if question.kind == QuestionKind.LONG_TEXT:
        return forms.CharField(
            max_length=LONG_ANSWER_MAX, widget=forms.Textarea(attrs={"rows": 4}), **common
        )
    if question.kind == QuestionKind.NUMBER:
        return forms.DecimalField(max_digits=12, decimal_places=2, **common)
    if question.kind == QuestionKind.SINGLE_CHOICE:
        return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
    if question.kind == QuestionKind.SCALE_1_10:
        return forms.ChoiceField(
            choices=SCALE_CHOICES,
            widget=forms.RadioSelect(attrs={"class": "scale"}),
            help_text="1 is the lowest, 10 the highest.",
            **common,
        )
    if question.kind == QuestionKind.CHECKBOX:
        if choices:
            return forms.MultipleChoiceField(
                choices=choices, widget=forms.CheckboxSelectMultiple, **common
            )
        return forms.BooleanField(**common)
    return forms.CharField(max_length=SHORT_ANSWER_MAX, **common)


def answer_text(value: object) -> str:
    """A cleaned answer as the text stored: a box "Yes"/"No", several boxes joined by "; "."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return "; ".join(value)
    return str(value).strip()


def form_answers(
    cleaned_data: Mapping[str, Any], questions: Iterable[AskedT]
) -> list[tuple[AskedT, str]]:
    """Each question with its answer's text, from a valid form built with `form_field`."""
    return [
        (question, answer_text(cleaned_data.get(field_name(question)))) for question in questions
    ]


@dataclass(frozen=True)
class AnswerSnapshot(Generic[AskedT]):
    """What an answer keeps of its question: the text, kind and place it answered, so that
    editing or removing the question later leaves the answer as it was given."""

    question: AskedT
    text: str
    kind: str
    position: int
    value: str


def answer_snapshot(question: AskedT, value: str) -> AnswerSnapshot[AskedT]:
    return AnswerSnapshot(
        question=question,
        text=question.prompt,
        kind=question.kind,
        position=question.position,
        value=value,
    )
