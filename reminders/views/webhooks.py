"""Providers' webhooks: delivery tracking and inbound mail, in front of django-anymail's."""

from __future__ import annotations

import logging

from anymail.exceptions import (
    AnymailConfigurationError,
    AnymailError,
    AnymailWebhookValidationFailure,
)
from anymail.utils import get_request_basic_auth
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from reminders.ratelimit import client_address
from reminders.tracking import INBOUND_WEBHOOK_VIEWS, TRACKING_WEBHOOK_VIEWS

logger = logging.getLogger(__name__)


def _webhook_secrets() -> list[str]:
    secret = settings.ANYMAIL.get("WEBHOOK_SECRET") or []
    return [secret] if isinstance(secret, str) else [value for value in secret if value]


def _unauthorized(reason: str) -> HttpResponse:
    response = HttpResponse(reason, status=401, content_type="text/plain")
    response["WWW-Authenticate"] = 'Basic realm="Convene delivery tracking"'
    return response


def _provider_webhook(
    request: HttpRequest, *, provider: str, kind: str, routed: list[str], views: dict
) -> HttpResponse:
    """A provider's webhook (delivery reports or inbound mail), checked before django-anymail
    parses it.

    1. A provider that is not routed (`routed`) is not there: 404.
    2. No shared secret configured: 403 (the system check stops production starting so).
    3. Missing or wrong basic-auth credentials: 401, or a failed provider signature: 403.
    4. A body the provider's parser cannot read: 400. Only then are the events applied.
    """
    if provider not in routed or provider not in views:
        raise Http404(f"No {kind} webhook for this provider.")
    secrets = _webhook_secrets()
    if not secrets:
        return HttpResponse(f"The {kind} webhook is not configured.", status=403)
    sent = get_request_basic_auth(request)
    if sent is None or not any(constant_time_compare(sent, secret) for secret in secrets):
        logger.warning(
            "Refused a %s %s webhook from %s: %s credentials",
            provider,
            kind,
            client_address(request),
            "no" if sent is None else "wrong",
        )
        return _unauthorized("Credentials required.")
    if request.method == "HEAD":  # providers check the URL when it is configured
        return HttpResponse()
    view = views[provider]()
    try:
        view.run_validators(request)
    except AnymailWebhookValidationFailure as failure:
        logger.warning(
            "Refused a %s %s webhook from %s: %s",
            provider,
            kind,
            client_address(request),
            failure,
        )
        return HttpResponse("Signature check failed.", status=403)
    try:
        events = view.parse_events(request)
    # What a parser raises on a body of the wrong shape (an inbound event posted to the
    # tracking URL is reported as a configuration error).
    except (
        AnymailError,
        AnymailConfigurationError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        IndexError,
    ) as malformed:
        logger.warning(
            "Malformed %s %s webhook from %s: %r",
            provider,
            kind,
            client_address(request),
            malformed,
        )
        return HttpResponse("Malformed body.", status=400, content_type="text/plain")
    # Outside the parse: a failure to record is a 500, so that the provider retries.
    for event in events:
        view.signal.send(sender=view.__class__, event=event, esp_name=view.esp_name)
    return HttpResponse()


@csrf_exempt
@require_http_methods(["POST", "HEAD"])
def tracking_webhook(request: HttpRequest, provider: str) -> HttpResponse:
    """A provider's delivery report (`TRACKING_WEBHOOK_PROVIDERS`); see `_provider_webhook`."""
    return _provider_webhook(
        request,
        provider=provider,
        kind="tracking",
        routed=settings.TRACKING_WEBHOOK_PROVIDERS,
        views=TRACKING_WEBHOOK_VIEWS,
    )


@csrf_exempt
@require_http_methods(["POST", "HEAD"])
def inbound_webhook(request: HttpRequest, provider: str) -> HttpResponse:
    """Mail received through a provider (`INBOUND_WEBHOOK_PROVIDERS`), such as calendar replies
    to the invites' ORGANIZER; routed and checked like the tracking webhook."""
    return _provider_webhook(
        request,
        provider=provider,
        kind="inbound",
        routed=settings.INBOUND_WEBHOOK_PROVIDERS,
        views=INBOUND_WEBHOOK_VIEWS,
    )
