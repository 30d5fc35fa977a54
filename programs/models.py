from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower

from programs.timezones import known_time_zones


def validate_time_zone(value: str) -> None:
    if value not in known_time_zones():
        raise ValidationError(
            f"{value!r} is not a known time zone (use a name like Europe/Berlin)."
        )


class Program(models.Model):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    hosts: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="ProgramHost", related_name="hosted_programs"
    )
    # Private label: requests on `start_host_name` show the brand on the participant pages,
    # and links in this program's e-mails and QR codes use that host name.
    brand_name = models.CharField(max_length=100, blank=True)
    brand_colour = models.CharField(
        max_length=7,
        blank=True,
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a colour like #1d4ed8.")],
    )
    brand_logo = models.ImageField(upload_to="brand-logos/", blank=True)
    start_host_name = models.CharField(
        max_length=253,
        blank=True,
        help_text="A host name of your own for the start link, e.g. start.example.org.",
    )
    # Matching settings.
    is_opt_in_enabled = models.BooleanField(
        "Ask members to opt in",
        default=True,
        help_text="Members get a Yes/No e-mail before each round; otherwise every active member is matched.",
    )
    group_size = models.PositiveSmallIntegerField(
        choices=[(2, "Pairs (2)"), (3, "Trios (3)")],
        default=2,
        help_text="An odd member joins a pair (or a trio) so that nobody is left out.",
    )
    avoid_repeat_matches = models.BooleanField(
        default=True,
        help_text="Never group people who were matched in an earlier round when a grouping without repeats exists.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["start_host_name"],
                condition=~models.Q(start_host_name=""),
                name="unique_program_start_host_name",
                violation_error_message="Another program already uses this start host name.",
            )
        ]

    def __str__(self) -> str:
        return self.name


class HostRole(models.TextChoices):
    OWNER = "owner", "Owner"
    HOST = "host", "Host"


class ProgramHost(models.Model):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="host_roles")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="program_roles"
    )
    role = models.CharField(max_length=16, choices=HostRole.choices, default=HostRole.HOST)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "user"], name="unique_program_host")
        ]
        ordering = ["program", "role", "id"]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}) in {self.program}"

    @property
    def is_owner(self) -> bool:
        return self.role == HostRole.OWNER


class Module(models.Model):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="modules")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    is_activated = models.BooleanField(
        default=False,
        help_text="Participants can use a session's access details only while its module is activated.",
    )
    commitment_days = models.PositiveSmallIntegerField(
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="How many days a commitment made in this module lasts.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["program", "position", "id"]
        indexes = [models.Index(fields=["program", "position"])]

    def __str__(self) -> str:
        return self.title


class HostInvitation(models.Model):
    """An invitation to co-host a program, sent to an e-mail address that has no account yet.

    The link carries an HMAC token over the invitation and its `token_version`; nothing usable
    is stored, and bumping the version (re-sending) revokes the previous link.
    """

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=HostRole.choices, default=HostRole.HOST)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    token_version = models.PositiveIntegerField(default=1)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "email"],
                condition=models.Q(accepted_at__isnull=True),
                name="unique_open_invitation",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.program}"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None


class MemberStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    LEFT = "left", "Left"
    DEACTIVATED = "deactivated", "Deactivated"


class Member(models.Model):
    """A person on a program's roster, matched in its rounds. No account: links carry tokens.

    Only active members get opt-in messages and are matched. Members pause or leave themselves
    through the link in every message; hosts deactivate them. `token_version` keys their links.
    """

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="members")
    name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254)
    time_zone = models.CharField(max_length=64, blank=True, validators=[validate_time_zone])
    category = models.CharField(max_length=100, blank=True)
    status = models.CharField(
        max_length=16, choices=MemberStatus.choices, default=MemberStatus.ACTIVE, db_index=True
    )
    token_version = models.PositiveIntegerField(default=1)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["program", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                "program", Lower("email"), name="unique_member_email_per_program"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    @property
    def is_active(self) -> bool:
        return self.status == MemberStatus.ACTIVE


class RoundState(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    OPEN = "open", "Open for opt-in"
    MATCHED = "matched", "Matched"
    CANCELLED = "cancelled", "Cancelled"


class Recurrence(models.IntegerChoices):
    ONCE = 0, "One time only"
    WEEKLY = 1, "Every week"
    EVERY_2_WEEKS = 2, "Every 2 weeks"
    EVERY_3_WEEKS = 3, "Every 3 weeks"
    EVERY_4_WEEKS = 4, "Every 4 weeks"


class Round(models.Model):
    """One matching round: opt-in messages at `opt_in_at` (none when it is empty), grouping at
    `match_at`, then match messages and the next round of the series.

    scheduled → open (opt-in messages went out) → matched, or cancelled. `sequence` rises with
    every change of schedule. `previous_round` links a series; being one-to-one, a round can have
    only one successor, so the next round is created once.
    """

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="rounds")
    state = models.CharField(
        max_length=16, choices=RoundState.choices, default=RoundState.SCHEDULED, db_index=True
    )
    opt_in_at = models.DateTimeField(null=True, blank=True)
    match_at = models.DateTimeField(db_index=True)
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    recurrence_weeks = models.PositiveSmallIntegerField(
        choices=Recurrence.choices, default=Recurrence.ONCE
    )
    previous_round = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="next_round"
    )
    seed = models.BigIntegerField(default=0)
    # Swaps a host made in the grouping preview, as [member id, member id] pairs applied in
    # order to the computed grouping (programs.round_preview), at the preview and at matching.
    swaps = models.JSONField(default=list, blank=True)
    sequence = models.PositiveIntegerField(default=0)
    opened_at = models.DateTimeField(null=True, blank=True)
    matched_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["match_at", "id"]
        indexes = [
            models.Index(fields=["program", "match_at"]),
            models.Index(fields=["state", "opt_in_at"]),
        ]

    def __str__(self) -> str:
        return f"Round of {self.program} matching at {self.match_at:%Y-%m-%d %H:%M} UTC"

    @property
    def uses_opt_in(self) -> bool:
        return self.opt_in_at is not None

    @property
    def is_changeable(self) -> bool:
        return self.state in (RoundState.SCHEDULED, RoundState.OPEN)

    @property
    def topic(self) -> str:
        return f"round:{self.pk}"


class OptInAnswer(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"


class OptIn(models.Model):
    """A member's answer for one round; changeable until the round is matched."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="opt_ins")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="opt_ins")
    answer = models.CharField(max_length=3, choices=OptInAnswer.choices)
    answered_at = models.DateTimeField()
    first_answered_at = models.DateTimeField()

    class Meta:
        ordering = ["round", "answered_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "member"], name="unique_opt_in_per_round")
        ]

    def __str__(self) -> str:
        return f"{self.member} said {self.answer} to {self.round_id}"


class Match(models.Model):
    """One group of a matched round."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="matches")
    number = models.PositiveIntegerField()
    members = models.ManyToManyField(Member, related_name="matches")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["round", "number"]
        verbose_name_plural = "matches"
        constraints = [
            models.UniqueConstraint(fields=["round", "number"], name="unique_match_number")
        ]

    def __str__(self) -> str:
        return f"Group {self.number} of round {self.round_id}"
