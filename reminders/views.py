"""The dev outbox (what Convene sent, readable without a mail server; DEBUG or staff only) and
the delivery-tracking webhook in front of django-anymail's."""

from __future__ import annotations

import email
import email.policy
import logging
from email.message import EmailMessage as ParsedEmail

from anymail.exceptions import (
    AnymailConfigurationError,
    AnymailError,
    AnymailWebhookValidationFailure,
)
from anymail.utils import get_request_basic_auth
from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from reminders.models import CapturedEmail
from reminders.personal_links import without_referrer
from reminders.ratelimit import client_address
from reminders.tracking import INBOUND_WEBHOOK_VIEWS, TRACKING_WEBHOOK_VIEWS
from reminders.unsubscribe import stream_for as unsubscribe_stream_for
from reminders.unsubscribe import unsubscribe_object

logger = logging.getLogger(__name__)


def _require_dev_access(request: HttpRequest) -> None:
    if not (settings.DEBUG or (request.user.is_authenticated and request.user.is_staff)):
        raise Http404("The dev outbox is available with DEBUG on, or to staff.")


def _parts(captured: CapturedEmail) -> tuple[ParsedEmail, list[ParsedEmail]]:
    parsed = email.message_from_string(captured.raw, policy=email.policy.default)
    return parsed, [part for part in parsed.walk() if not part.is_multipart()]


def dev_outbox(request: HttpRequest) -> HttpResponse:
    _require_dev_access(request)
    captured = CapturedEmail.objects.select_related("message").order_by("-created_at", "-id")
    page = Paginator(captured, 50).get_page(request.GET.get("page"))
    return render(request, "reminders/dev_outbox.html", {"page": page})


# The preview frame (srcdoc) inherits this page's policy, and e-mail HTML is styled inline
# (mail clients know no stylesheets). Its `sandbox` frame runs no script either way.
@csp_update({"style-src-attr": [UNSAFE_INLINE], "style-src-elem": [SELF, UNSAFE_INLINE]})  # type: ignore[arg-type]  # django-csp types one-argument views only
def dev_outbox_email(request: HttpRequest, captured_id: int) -> HttpResponse:
    _require_dev_access(request)
    captured = get_object_or_404(CapturedEmail.objects.select_related("message"), pk=captured_id)
    parsed, parts = _parts(captured)
    html = next(
        (part.get_content() for part in parts if part.get_content_type() == "text/html"), ""
    )
    text = next(
        (
            part.get_content()
            for part in parts
            if part.get_content_type() == "text/plain" and not part.get_filename()
        ),
        "",
    )
    attachments = [
        {
            "index": index,
            "name": part.get_filename() or f"part-{index}",
            "type": part.get("Content-Type", ""),
        }
        for index, part in enumerate(parts)
        if part.get_filename() or part.get_content_type() == "text/calendar"
    ]
    return render(
        request,
        "reminders/dev_outbox_email.html",
        {
            "captured": captured,
            "headers": parsed,
            "html": html,
            "text": text,
            "attachments": attachments,
        },
    )


def dev_outbox_part(request: HttpRequest, captured_id: int, index: int) -> HttpResponse:
    _require_dev_access(request)
    captured = get_object_or_404(CapturedEmail, pk=captured_id)
    _, parts = _parts(captured)
    if index >= len(parts):
        raise Http404("No such part.")
    part = parts[index]
    response = HttpResponse(part.get_payload(decode=True), content_type=part.get_content_type())
    response["Content-Disposition"] = (
        f'attachment; filename="{part.get_filename() or f"part-{index}"}"'
    )
    return response


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


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, stream: str, token: str) -> HttpResponse:
    """RFC 8058 one-click unsubscribe: a POST stops the stream; a GET asks first.

    No login and no CSRF token: mail providers POST `List-Unsubscribe=One-Click` from their own
    servers. Only the personal token decides, and all it can do is stop its own stream.
    """
    found = unsubscribe_stream_for(stream)
    obj = None if found is None else unsubscribe_object(stream=found, token=token)
    if found is None or obj is None:
        response = render(request, "reminders/unsubscribe_invalid.html", status=404)
    else:
        done = request.method == "POST"
        if done:
            found.stop(obj, timezone.now())
        context = {
            "done": done,
            "what": found.describe(obj),
            "turn_back_on_url": found.turn_back_on(obj) if found.turn_back_on else "",
        }
        response = render(request, "reminders/unsubscribe.html", context)
    return without_referrer(response)
