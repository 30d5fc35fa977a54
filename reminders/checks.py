"""System checks: the delivery-tracking webhooks must not be open to anyone."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from reminders.tracking import TRACKING_WEBHOOK_VIEWS


@register()
def tracking_webhooks_have_a_secret(**kwargs: Any) -> list[CheckMessage]:
    """Outside DEBUG, refuse to start with tracking webhooks routed and no shared secret:
    without one, anyone could mark any message bounced."""
    providers = list(getattr(settings, "TRACKING_WEBHOOK_PROVIDERS", []))
    errors: list[CheckMessage] = [
        Error(
            f"TRACKING_WEBHOOK_PROVIDERS names {provider!r}, which has no tracking webhook.",
            hint=f"Use one of: {', '.join(sorted(TRACKING_WEBHOOK_VIEWS))}.",
            id="reminders.E002",
        )
        for provider in providers
        if provider not in TRACKING_WEBHOOK_VIEWS
    ]
    if providers and not settings.DEBUG and not settings.ANYMAIL.get("WEBHOOK_SECRET"):
        errors.append(
            Error(
                "Delivery-tracking webhooks are routed without a shared secret.",
                hint="Set ANYMAIL_WEBHOOK_SECRET=user:password (and the same credentials in "
                "the provider's webhook URL), or TRACKING_WEBHOOK_PROVIDERS= to route none.",
                id="reminders.E001",
            )
        )
    return errors
