"""The outbox: every e-mail is a row here before it is sent."""

from __future__ import annotations

from email.header import decode_header, make_header

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models


class AboutForeignKey(GenericForeignKey):
    """Django's generic foreign key, reading an object already attached (by the dispatcher's
    `registry.about_attach`) as it is. Django's own checks on every read that the attached
    object still matches the row's content type and id, at the price of a content-type lookup
    and a manager copy (about 50 µs a message in the dispatcher); a message's object is set
    when it is planned and never changes, and setting `about` replaces the attached one."""

    def __get__(self, instance, cls=None):
        if instance is not None:
            attached = self.get_cached_value(instance, default=None)
            if attached is not None:
                return attached
        return super().__get__(instance, cls)


class MessageStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    SKIPPED = "skipped", "Skipped"


class DeliveryStatus(models.TextChoices):
    UNKNOWN = "", "Unknown"
    QUEUED = "queued", "Queued by provider"
    DELIVERED = "delivered", "Delivered"
    DEFERRED = "deferred", "Deferred"
    BOUNCED = "bounced", "Bounced"
    REJECTED = "rejected", "Rejected"
    COMPLAINED = "complained", "Marked as spam"
    OPENED = "opened", "Opened"
    CLICKED = "clicked", "Clicked"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"


class Message(models.Model):
    """One e-mail: planned, claimed by a dispatcher, sent (or not) and tracked.

    `topic` groups everything sent about one object (`session:42`) so that a domain app can
    reconcile what it wants with what is pending in one query. `schedule_sequence` is the
    version of the schedule the message was planned for; the kind's renderer refuses a message
    whose object has moved on. `expires_at` is the moment after which the message is pointless
    (a reminder once the session has started): the dispatcher skips it instead of sending late.
    """

    # `topic` is indexed through outbox_topic_status (topic first). Few indexes keep bulk
    # moves cheap: a moved row is written to every index again.
    kind = models.CharField(max_length=64)
    topic = models.CharField(max_length=128)
    recipient_email = models.EmailField(max_length=254)
    recipient_name = models.CharField(max_length=200, blank=True)
    # Indexed together with object_id (outbox_about), so no index of its own.
    content_type = models.ForeignKey(
        ContentType,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    about = AboutForeignKey("content_type", "object_id")
    schedule_sequence = models.PositiveIntegerField(null=True, blank=True)
    payload = models.JSONField(default=dict, blank=True)

    due_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    dedupe_key = models.CharField(max_length=255, unique=True)
    # The same message across schedules (a registrant's hour-before reminder, whatever the
    # session's sequence): a pending row whose key is no longer wanted is moved to the wanted
    # key of its slot instead of being cancelled and planned again.
    slot = models.CharField(max_length=255, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    leased_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    subject = models.CharField(max_length=255, blank=True)
    provider_message_id = models.CharField(max_length=255, blank=True)
    delivery_status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, blank=True, default=DeliveryStatus.UNKNOWN
    )
    delivery_detail = models.TextField(blank=True)
    delivery_updated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            # The dispatcher's claim: due pending rows, in order.
            # In the claim's own order (due_at, id), so the claim reads the first rows of the
            # index and stops, however stale the planner's statistics are after a burst.
            models.Index(
                fields=["due_at", "id"],
                name="outbox_due_pending",
                condition=models.Q(status="pending"),
            ),
            models.Index(
                fields=["leased_until"],
                name="outbox_leased_sending",
                condition=models.Q(status="sending"),
            ),
            models.Index(fields=["topic", "status"], name="outbox_topic_status"),
            models.Index(fields=["content_type", "object_id"], name="outbox_about"),
            # Tracking webhooks look messages up by the provider's id; pending rows have none,
            # so they stay out of this index (and bulk moves of pending rows skip it).
            models.Index(
                fields=["provider_message_id"],
                name="outbox_provider_id",
                condition=~models.Q(provider_message_id=""),
            ),
            # Insights' "addresses that need attention": only bounced, complained or failed
            # messages are in it (a few percent), so pending and sent rows never touch it.
            models.Index(
                fields=["created_at"],
                include=["topic", "recipient_email", "delivery_status", "status", "updated_at"],
                name="outbox_needs_attention",
                condition=models.Q(delivery_status__in=["bounced", "rejected", "complained"])
                | models.Q(status="failed"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient_email} ({self.status})"


class MessageEvent(models.Model):
    """Every state change of a message, for the history shown to hosts and admins."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=32)
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["message", "created_at"])]

    def __str__(self) -> str:
        return f"{self.status} at {self.created_at:%Y-%m-%d %H:%M:%S}"


class CapturedEmail(models.Model):
    """An e-mail as it left the building, kept by the development backend for the dev outbox page.

    Only `reminders.backends.CapturingEmailBackend` writes these (the `make run` default and the
    real-worker tests); production mail goes to the provider and is not kept.
    """

    message = models.ForeignKey(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="captures"
    )
    to = models.TextField()
    subject = models.CharField(max_length=255)
    raw = models.TextField(help_text="The full MIME message.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"

    @property
    def to_readable(self) -> str:
        """The recipients as a person reads them: names the header encodes (RFC 2047,
        "=?utf-8?b?…?=") decoded."""
        return str(make_header(decode_header(self.to)))


class ProviderHealth(models.Model):
    """Whether the e-mail provider is taking our mail, as the dispatcher last saw it.

    One row (`name="default"`), written once per dispatcher tick that tried to send. While
    `failing_since` is set, hosts see "e-mail is being refused by the provider since …".
    """

    name = models.CharField(max_length=32, unique=True, default="default")
    failing_since = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "provider health"

    def __str__(self) -> str:
        return (
            f"{self.name}: failing since {self.failing_since}" if self.failing_since else self.name
        )
