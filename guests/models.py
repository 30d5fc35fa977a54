from __future__ import annotations

from django.db import models

from sessions_app.models import Session


class GuestLink(models.Model):
    """A session's one guest link: an HMAC token over (id, `token_version`), nothing stored.

    Regenerating bumps the version in one transaction, so the previous link dies at once.
    """

    session = models.OneToOneField(Session, on_delete=models.CASCADE, related_name="guest_link")
    token_version = models.PositiveIntegerField(default=1)
    regenerated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session"]

    def __str__(self) -> str:
        return f"Guest link of {self.session}"


class GuestEntry(models.Model):
    """One guest who came in through the guest link with a name: their room identity, kept
    in their browser's session (their pass) once they are admitted.

    The pass holds until `revoked_at` (the host regenerated the link: everyone who came through
    the old one is out). Removing one guest replaces the link instead, if the link they came in
    with (`link_version`) is still the current one; the passes of the others stay good.
    """

    guest_link = models.ForeignKey(GuestLink, on_delete=models.CASCADE, related_name="entries")
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="guest_entries")
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    link_version = models.PositiveIntegerField(default=1)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["session", "created_at", "id"]
        indexes = [models.Index(fields=["session", "created_at"])]
        verbose_name_plural = "guest entries"

    def __str__(self) -> str:
        return f"{self.name} (guest of {self.session})"
