from __future__ import annotations

import uuid
import zoneinfo
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower

from programs import questions
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
    # Derived from starts_at + duration on every save, so lists and feeds can filter on it.
    ends_at = models.DateTimeField(db_index=True, editable=False)
    theme = models.CharField(
        max_length=16, choices=SessionTheme.choices, default=SessionTheme.MEETING
    )
    is_registration_required = models.BooleanField(default=True)
    # Which reminders registrants get (hosts get the day and hour ones when those are on).
    remind_day_before = models.BooleanField("A day before", default=True)
    remind_hour_before = models.BooleanField("An hour before", default=True)
    remind_half_hour_before = models.BooleanField("30 minutes before", default=True)
    capacity = models.PositiveIntegerField(null=True, blank=True, validators=[MinValueValidator(1)])
    # With a capacity: people who find the session full may wait for a seat (WaitlistEntry).
    has_waitlist = models.BooleanField("Offer a waitlist when full", default=False)
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
    is_recorded = models.BooleanField(
        "Record this session",
        default=True,
        help_text="The media server records while the session is live; hosts get one .mp4.",
    )
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

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.ends_at = self.starts_at + timedelta(minutes=self.duration_minutes)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"starts_at", "duration_minutes"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "ends_at"}
        super().save(*args, **kwargs)

    def is_over(self, *, now: datetime) -> bool:
        """Ended by the host, or past its scheduled end."""
        return self.state in (SessionState.ENDED, SessionState.COMPLETED) or self.ends_at <= now

    def is_open_for_registration(self, *, now: datetime) -> bool:
        return self.state in (SessionState.SCHEDULED, SessionState.LIVE) and self.ends_at > now

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def local_starts_at(self) -> datetime:
        return self.starts_at.astimezone(self.zone)

    @property
    def local_ends_at(self) -> datetime:
        return self.ends_at.astimezone(self.zone)

    @property
    def display_code(self) -> str:
        return session_code_display(self.code)

    @property
    def is_cancelled(self) -> bool:
        return self.state == SessionState.CANCELLED

    def listed_status(self, *, now: datetime) -> str:
        """The status a host sees wherever the session is listed (docs/product.md).

        Upcoming, Ongoing (scheduled and inside its time, not started), Live, Ended (its time
        is over, not yet marked complete), Completed, Cancelled.
        """
        if self.state == SessionState.SCHEDULED:
            if self.starts_at > now:
                return "Upcoming"
            return "Ongoing" if self.ends_at > now else "Ended"
        return self.get_state_display()


class RegistrationSource(models.TextChoices):
    SELF = "self", "Registered themselves"
    HOST = "host", "Added by a host"


class CalendarAnswer(models.TextChoices):
    NONE = "", "No answer from their calendar"
    ACCEPTED = "accepted", "Accepted in their calendar"
    TENTATIVE = "tentative", "Maybe (tentative in their calendar)"


class Registration(models.Model):
    """One person registered for one session.

    The personal join link is an HMAC token over the registration and its `token_version`
    (reminders/tokens.py, purpose "join"): nothing usable is stored, and bumping the version
    revokes the link. E-mail addresses are unique per session in any case.
    """

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="registrations")
    email = models.EmailField(max_length=254)
    name = models.CharField(max_length=200)
    source = models.CharField(
        max_length=8, choices=RegistrationSource.choices, default=RegistrationSource.SELF
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    token_version = models.PositiveIntegerField(default=1)
    # The zone the registrant's browser showed the registration page in ("" when not known):
    # their e-mails show times in it, with the session's zone beside.
    time_zone = models.CharField(max_length=64, blank=True, validators=[validate_time_zone])
    # Off once the registrant used the one-click unsubscribe of their reminders (RFC 8058).
    wants_reminders = models.BooleanField(default=True)
    # The UID of this person's calendar entry when it is not the session's own: registrations
    # made before invites shared the session's UID keep the one their calendars already hold.
    calendar_uid = models.CharField(max_length=255, blank=True)
    # What the registrant's calendar last answered to the invite (iTIP REPLY); a decline
    # cancels the registration instead (CalendarDecline).
    calendar_answer = models.CharField(
        max_length=16, choices=CalendarAnswer.choices, blank=True, default=CalendarAnswer.NONE
    )
    calendar_answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                "session", Lower("email"), name="unique_registration_email_per_session"
            )
        ]
        indexes = [models.Index(fields=["session", "created_at"])]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class WaitlistEntry(models.Model):
    """Somebody waiting for a seat of a full session; the lowest `position` is next.

    When a seat frees (a cancellation, a host's removal, a decline from a calendar), the first
    one waiting is registered in the same transaction, under the session's row lock.
    """

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="waitlist")
    email = models.EmailField(max_length=254)
    name = models.CharField(max_length=200)
    position = models.PositiveIntegerField()
    # The zone the page they joined from was shown in ("" when not known): their waitlist
    # e-mails and, once they have the seat, their registration's use it.
    time_zone = models.CharField(max_length=64, blank=True, validators=[validate_time_zone])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                "session", Lower("email"), name="unique_waitlist_email_per_session"
            )
        ]
        indexes = [models.Index(fields=["session", "position"])]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}> waiting for {self.session_id}"


class WaitlistAnswer(models.Model):
    """What somebody answered when they joined the waitlist, with the question's text then;
    it becomes their registration's answer when they get the seat."""

    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(
        "RegistrationQuestion",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="waitlist_answers",
    )
    question_label = models.CharField(max_length=300)
    value = models.TextField(blank=True)

    class Meta:
        ordering = ["entry", "id"]

    def __str__(self) -> str:
        return f"{self.question_label}: {self.value[:50]}"


class CalendarDecline(models.Model):
    """Somebody pressed "Decline" in their calendar: their registration was cancelled.

    Kept for the hosts ("declined from their calendar"), since the registration row is gone.
    """

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="declines")
    email = models.EmailField(max_length=254)
    name = models.CharField(max_length=200)
    declined_at = models.DateTimeField()

    class Meta:
        ordering = ["session", "-declined_at", "id"]

    def __str__(self) -> str:
        return f"{self.email} declined {self.session_id} from their calendar"


class QuestionKind(models.TextChoices):
    """The kinds a registration question offers (asked as `programs.questions` says)."""

    SHORT_TEXT = questions.offered(questions.QuestionKind.SHORT_TEXT)
    LONG_TEXT = questions.offered(questions.QuestionKind.LONG_TEXT)
    SINGLE_CHOICE = questions.offered(questions.QuestionKind.SINGLE_CHOICE)
    CHECKBOX = questions.offered(questions.QuestionKind.CHECKBOX)


class RegistrationQuestion(models.Model):
    """A question a session asks on its registration page.

    `choices` holds one choice per line: the options of a single choice, or of a checkbox
    question (a checkbox question without choices is one yes/no box).
    """

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="questions")
    label = models.CharField(max_length=300)
    kind = models.CharField(max_length=16, choices=QuestionKind.choices)
    choices = models.TextField(blank=True, help_text="One choice per line.")
    is_required = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session", "position", "id"]

    def __str__(self) -> str:
        return self.label

    @property
    def prompt(self) -> str:
        return self.label

    @property
    def choice_list(self) -> list[str]:
        return questions.choice_list(self.choices)


class RegistrationAnswer(models.Model):
    """An answer, stored with the text of the question it answered (questions may change)."""

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(
        RegistrationQuestion,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="answers",
    )
    question_label = models.CharField(max_length=300)
    value = models.TextField(blank=True)

    class Meta:
        ordering = ["registration", "id"]

    def __str__(self) -> str:
        return f"{self.question_label}: {self.value[:50]}"


class CalendarFeed(models.Model):
    """A host's calendar subscription: its secret URL is an HMAC token over this version."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="session_calendar_feed"
    )
    token_version = models.PositiveIntegerField(default=1)
    reset_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user"]

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}"


class HostReminderSetting(models.Model):
    """Whether one host gets the host reminders ("tomorrow", "in an hour") of one program's
    sessions, those of the program and those they co-host. No row means yes.

    The row is what a host reminder's one-click unsubscribe names: its token is an HMAC over
    the row and `token_version`. Hosts turn it back on under E-mail settings.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="host_reminder_settings"
    )
    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, related_name="host_reminder_settings"
    )
    wants_session_reminders = models.BooleanField(default=True)
    token_version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["program", "user"]
        constraints = [
            models.UniqueConstraint(fields=["user", "program"], name="unique_host_reminder_setting")
        ]

    def __str__(self) -> str:
        state = "on" if self.wants_session_reminders else "off"
        return f"Host reminders of {self.program} for {self.user}: {state}"


class AttendanceRole(models.TextChoices):
    HOST = "host", "Host"
    ATTENDEE = "attendee", "Attendee"
    GUEST = "guest", "Guest"


class AttendanceStatus(models.TextChoices):
    WAITING = "waiting", "Waiting for the host"
    IN_ROOM = "in_room", "In the room"
    LEFT = "left", "Left"
    REMOVED = "removed", "Removed by a host"


class Attendance(models.Model):
    """One person's presence in one session's room: who, in which role, when in and out.

    `participant_key` names who it is without a foreign key into apps further along:
    `user:<id>` (host), `registration:<id>` (attendee), `guest:<guest entry id>` (guest) or
    `open:<random>` (a named visitor of an open session). A removed participant keeps the row
    in state `removed`, which is what refuses them coming back with the same key.
    `last_seen_at` is refreshed by the pages' POST heartbeats, so "in the room" means "seen lately".
    """

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendances")
    participant_key = models.CharField(max_length=64)
    role = models.CharField(max_length=16, choices=AttendanceRole.choices)
    name = models.CharField(max_length=200)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="session_attendances",
    )
    registration = models.ForeignKey(
        Registration,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="attendances",
    )
    status = models.CharField(
        max_length=16, choices=AttendanceStatus.choices, default=AttendanceStatus.WAITING
    )
    arrived_at = models.DateTimeField()
    joined_at = models.DateTimeField(null=True, blank=True)
    left_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField()
    # Part of the media credential (`sessions_app.media`): bumped when a host removes them,
    # so the credential their browser held is dead at the server for good.
    media_version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["session", "arrived_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "participant_key"], name="unique_attendance_per_participant"
            )
        ]
        indexes = [
            models.Index(fields=["session", "status", "last_seen_at"]),
            # Insights count a period's attendance per session from this index alone
            # (PostgreSQL's index-only scan; elsewhere a plain index on the session).
            models.Index(
                fields=["session"],
                include=[
                    "role",
                    "registration",
                    "arrived_at",
                    "joined_at",
                    "left_at",
                    "last_seen_at",
                ],
                name="attendance_insights",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()}) in {self.session_id}"


def recording_upload_to(instance: Recording, filename: str) -> str:
    # A random stored name: the original one is kept for the download, not for the disk.
    return f"recordings/session-{instance.session_id}/{uuid.uuid4().hex}.mp4"


class RecordingSource(models.TextChoices):
    UPLOAD = "upload", "Uploaded by a host"
    SERVER = "server", "Recorded by the media server"
    PROVIDER = "provider", "Recorded by the video provider (downloaded)"


class RecordingStatus(models.TextChoices):
    PROCESSING = "processing", "Processing"
    READY = "ready", "Ready"
    FAILED = "failed", "Processing failed"


class Recording(models.Model):
    """A recording of a session, uploaded or made by the media server; hosts only.

    A server-made recording exists from the session's end on, `processing` until the task
    (`sessions_app.tasks.process_recording`) has turned the server's files into one .mp4;
    `failed` keeps the reason for the host, who may retry. A provider's recording (JaaS's
    webhook) is `processing` until the same task has downloaded it from `source_url`, which is
    cleared once the file is stored; `external_id` is the provider's key for the event, so a
    delivery repeated by the provider adds nothing.
    """

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="recordings")
    file = models.FileField(upload_to=recording_upload_to, max_length=300, blank=True)
    original_name = models.CharField(max_length=200)
    size_bytes = models.PositiveBigIntegerField(default=0)
    source = models.CharField(
        max_length=16, choices=RecordingSource.choices, default=RecordingSource.UPLOAD
    )
    status = models.CharField(
        max_length=16, choices=RecordingStatus.choices, default=RecordingStatus.READY
    )
    failure_reason = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    duration_seconds = models.FloatField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    source_url = models.URLField(max_length=2000, blank=True)
    external_id = models.CharField(max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "external_id"],
                condition=~models.Q(external_id=""),
                name="unique_provider_recording_per_session",
            )
        ]

    def __str__(self) -> str:
        return self.original_name


class ReplanKind(models.TextChoices):
    RESCHEDULE = "reschedule", "Reschedule (updates and reminders)"
    REMINDERS = "reminders", "Reminder settings (reminders only)"
    CANCEL = "cancel", "Cancellation"


class ReplanStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    SUPERSEDED = "superseded", "Superseded by a newer change"
    FAILED = "failed", "Failed"


class ReplanJob(models.Model):
    """The messages of every registrant of a session, replanned in the background.

    A reschedule, a change of reminder settings or a cancellation saves the session at once and
    records one of these; a Celery task walks the registrations with id up to
    `last_registration_id` in batches (`cursor_registration_id` is the last one done) and
    reconciles each batch's messages. A newer change of the same session supersedes it.
    """

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="replan_jobs")
    kind = models.CharField(max_length=16, choices=ReplanKind.choices)
    status = models.CharField(
        max_length=16, choices=ReplanStatus.choices, default=ReplanStatus.QUEUED
    )
    # The session's sequence when the change was made, and the moment of the change: reminders
    # whose moment is after it are planned even if the task reaches them later.
    sequence = models.PositiveIntegerField()
    requested_at = models.DateTimeField()
    # The schedule registrants last heard of (the payload of their update e-mails).
    previous_schedule = models.JSONField(default=dict, blank=True)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    last_registration_id = models.BigIntegerField(default=0)
    cursor_registration_id = models.BigIntegerField(default=0)
    batches = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "updated_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of session {self.session_id} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (ReplanStatus.DONE, ReplanStatus.SUPERSEDED, ReplanStatus.FAILED)
