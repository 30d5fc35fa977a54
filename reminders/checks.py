"""System checks: the provider webhooks (delivery tracking, inbound mail) must not be open to
anyone."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from reminders.tracking import INBOUND_WEBHOOK_VIEWS, TRACKING_WEBHOOK_VIEWS


def _webhook_errors(
    *, setting: str, views: dict, what: str, harm: str, unknown_id: str, secret_id: str
) -> list[CheckMessage]:
    providers = list(getattr(settings, setting, []))
    errors: list[CheckMessage] = [
        Error(
            f"{setting} names {provider!r}, which has no {what} webhook.",
            hint=f"Use one of: {', '.join(sorted(views))}.",
            id=unknown_id,
        )
        for provider in providers
        if provider not in views
    ]
    if providers and not settings.DEBUG and not settings.ANYMAIL.get("WEBHOOK_SECRET"):
        errors.append(
            Error(
                f"{what.capitalize()} webhooks are routed without a shared secret: {harm}.",
                hint="Set ANYMAIL_WEBHOOK_SECRET=user:password (and the same credentials in "
                f"the provider's webhook URL), or {setting}= to route none.",
                id=secret_id,
            )
        )
    return errors


@register()
def tracking_webhooks_have_a_secret(**kwargs: Any) -> list[CheckMessage]:
    """Outside DEBUG, refuse to start with tracking webhooks routed and no shared secret:
    without one, anyone could mark any message bounced."""
    return _webhook_errors(
        setting="TRACKING_WEBHOOK_PROVIDERS",
        views=TRACKING_WEBHOOK_VIEWS,
        what="delivery-tracking",
        harm="anyone could mark any message bounced",
        unknown_id="reminders.E002",
        secret_id="reminders.E001",
    )


@register()
def inbound_webhooks_have_a_secret(**kwargs: Any) -> list[CheckMessage]:
    """The same for received mail: without a secret, anyone could post a calendar "Decline"
    or an unsubscribe mail in a provider's shape."""
    return _webhook_errors(
        setting="INBOUND_WEBHOOK_PROVIDERS",
        views=INBOUND_WEBHOOK_VIEWS,
        what="inbound mail",
        harm="anyone could post calendar replies and unsubscribe mails as if the provider had "
        "received them",
        unknown_id="reminders.E004",
        secret_id="reminders.E003",
    )
