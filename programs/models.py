from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            f"{value!r} is not a known time zone (use a name like Europe/Berlin)."
        )


class Program(models.Model):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    hosts = models.ManyToManyField(
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
