from __future__ import annotations

import zoneinfo
from datetime import date, datetime

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from programs import questions
from programs.models import Module, validate_time_zone
from sessions_app.models import Session


def local_today(*, time_zone: str, now: datetime) -> date:
    return now.astimezone(zoneinfo.ZoneInfo(time_zone)).date()


class QuestionKind(models.TextChoices):
    """The kinds a module question offers (asked as `programs.questions` says)."""

    SHORT_TEXT = questions.offered(questions.QuestionKind.SHORT_TEXT)
    LONG_TEXT = questions.offered(questions.QuestionKind.LONG_TEXT)
    NUMBER = questions.offered(questions.QuestionKind.NUMBER)
    SINGLE_CHOICE = questions.offered(questions.QuestionKind.SINGLE_CHOICE)
    SCALE_1_10 = questions.offered(questions.QuestionKind.SCALE_1_10)


class Question(models.Model):
    """A question participants answer when they create a commitment in a module.

    Edits apply to commitments created afterwards: an Answer keeps the text and kind it
    answered, and `is_required` is read only when a commitment is created.
    """

    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="questions")
    text = models.CharField(max_length=500)
    kind = models.CharField(
        max_length=16, choices=QuestionKind.choices, default=QuestionKind.SHORT_TEXT
    )
    choices = models.TextField(
        blank=True, help_text="For a single-choice question: one choice per line."
    )
    is_required = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    is_archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["module", "position", "id"]
        indexes = [models.Index(fields=["module", "is_archived", "position"])]

    def __str__(self) -> str:
        return self.text

    @property
    def prompt(self) -> str:
        return self.text

    @property
    def choice_list(self) -> list[str]:
        return questions.choice_list(self.choices)


class CommitmentSource(models.TextChoices):
    """How the participant reached the commitment form (docs/insights.md)."""

    SESSION_ID = "session_id", "Session ID"
    QR_CODE = "qr_code", "QR code"
    DIRECT_LINK = "direct_link", "Direct link"
    # Made before the source was recorded, or from an address that carries no marker (a QR
    # code printed before QR codes carried one reads like any bare link).
    UNKNOWN = "unknown", "Unknown"


class Commitment(models.Model):
    """A participant's habit commitment, made from a session; no account needed.

    `starts_on` is the day it was created in the participant's `time_zone`, and
    `duration_days` is the module's commitment days frozen at creation, so a commitment made
    weeks after the session still gets its full duration. `ends_on` is the last day included.
    `ended_early_at` is set when the participant stops before `ends_on`: no check-ins and no
    reminders after it; the days before it stay as they were.
    """

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="commitments")
    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="commitments")
    participant_name = models.CharField(max_length=200)
    participant_email = models.EmailField()
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    starts_on = models.DateField()
    duration_days = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    ends_on = models.DateField()
    reminder_time = models.TimeField(
        null=True, blank=True, help_text="Local time of the optional daily check-in reminder."
    )
    reflection = models.TextField(blank=True)
    reflected_at = models.DateTimeField(null=True, blank=True)
    ended_early_at = models.DateTimeField(
        null=True, blank=True, help_text="When the participant ended the commitment early."
    )
    token_version = models.PositiveIntegerField(default=1)
    source = models.CharField(
        max_length=16,
        choices=CommitmentSource.choices,
        default=CommitmentSource.UNKNOWN,
        help_text="How the participant arrived: Session ID, QR code or direct link.",
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["session", "created_at"]),
            models.Index(fields=["module", "created_at"]),
            models.Index(fields=["participant_email"]),
        ]

    def __str__(self) -> str:
        return f"{self.participant_name} in {self.module}"

    def day_number(self, day: date) -> int:
        """1 on the first day."""
        return (day - self.starts_on).days + 1

    def today(self, *, now: datetime) -> date:
        """The participant's day at `now`, in the commitment's zone."""
        return local_today(time_zone=self.time_zone, now=now)

    def is_finished(self, *, now: datetime) -> bool:
        """Its last day has passed in the participant's zone (ended early or not)."""
        return self.today(now=now) > self.ends_on

    def includes(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on

    @property
    def has_ended_early(self) -> bool:
        return self.ended_early_at is not None

    @property
    def ended_early_on(self) -> date | None:
        """The participant's local day on which they ended it early."""
        if self.ended_early_at is None:
            return None
        return self.ended_early_at.astimezone(zoneinfo.ZoneInfo(self.time_zone)).date()


class Answer(models.Model):
    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(
        Question, on_delete=models.SET_NULL, null=True, blank=True, related_name="answers"
    )
    # The question as it read when it was answered; later edits do not rewrite history.
    question_text = models.CharField(max_length=500)
    question_kind = models.CharField(max_length=16, choices=QuestionKind.choices)
    position = models.PositiveIntegerField(default=0)
    value = models.TextField(blank=True)

    class Meta:
        ordering = ["commitment", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["commitment", "question"], name="unique_answer_per_question"
            )
        ]

    def __str__(self) -> str:
        return f"{self.question_text}: {self.value[:40]}"


class CheckIn(models.Model):
    """One per commitment and local day (the day in the commitment's time zone)."""

    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="checkins")
    day = models.DateField()
    is_done = models.BooleanField()
    rating = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    note = models.TextField(blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["commitment", "day"]
        constraints = [
            models.UniqueConstraint(fields=["commitment", "day"], name="unique_checkin_per_day"),
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=10),
                name="checkin_rating_1_to_10",
            ),
        ]
        # Insights read a period's check-ins (done, rating) from this index alone on
        # PostgreSQL (an index-only scan); elsewhere it is a plain index.
        indexes = [
            models.Index(
                fields=["commitment", "day"], include=["is_done", "rating"], name="checkin_insights"
            )
        ]

    def __str__(self) -> str:
        return f"{self.commitment} on {self.day}: {'done' if self.is_done else 'not done'}"
