from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from programs.models import Module, Program, validate_time_zone
from sessions_app.codes import session_code_display, session_code_generate


class SessionTheme(models.TextChoices):
    MEETING = "meeting", "Meeting (audio and video)"
    WEBINAR = "webinar", "Webinar (stage only, no audio/video for attendees)"


class SessionState(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    LIVE = "live", "Live"
    ENDED = "ended", "Ended"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class Session(models.Model):
    """A scheduled session of a program.

    `starts_at` is the UTC instant; `time_zone` is the zone it was scheduled in, used to show
    and edit it. `sequence` rises with every change of time or duration: calendar invites carry
    it as SEQUENCE and messages planned for an older schedule are never sent.
    """

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="sessions")
    module = models.ForeignKey(
        Module, on_delete=models.SET_NULL, null=True, blank=True, related_name="sessions"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    starts_at = models.DateTimeField(db_index=True)
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    duration_minutes = models.PositiveIntegerField(
        default=60, validators=[MinValueValidator(5), MaxValueValidator(24 * 60)]
    )
    theme = models.CharField(
        max_length=16, choices=SessionTheme.choices, default=SessionTheme.MEETING
    )
    is_registration_required = models.BooleanField(default=True)
    capacity = models.PositiveIntegerField(null=True, blank=True, validators=[MinValueValidator(1)])
    co_hosts = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="co_hosted_sessions"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    state = models.CharField(
        max_length=16, choices=SessionState.choices, default=SessionState.SCHEDULED, db_index=True
    )
    code = models.CharField(
        "Session ID", max_length=8, unique=True, default=session_code_generate, editable=False
    )
    sequence = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["program", "starts_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def display_code(self) -> str:
        return session_code_display(self.code)

    @property
    def is_cancelled(self) -> bool:
        return self.state == SessionState.CANCELLED
