"""The video provider's webhook: JaaS tells Convene that a recording can be downloaded."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from reminders.ratelimit import client_address, client_limit_key, leaky_limit_hit, leaky_limit_peek
from sessions_app.media import jaas
from sessions_app.recordings import recording_from_provider_begin

logger = logging.getLogger(__name__)

# Refused calls per client: a burst of 10, then one a minute. JaaS itself is never refused.
REFUSED_SCOPE = "jaas-webhook-refused"
REFUSED_CAPACITY, REFUSED_WINDOW_SECONDS = 10, 600


def _text(message: str, status: int) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain")


@csrf_exempt
@require_POST
def jaas_webhook(request: HttpRequest) -> HttpResponse:
    """JaaS's events (`JAAS_WEBHOOK_SECRET` in the Authorization header).

    1. A client refused too often lately: 429, whatever it sends.
    2. No secret configured: 403 for every call; a missing or wrong header: 401 (compared in
       constant time). Each refusal counts against the client.
    3. A body that is not a JaaS event: 400. Events other than RECORDING_UPLOADED, and rooms
       that are no session's (lately): 200, so that JaaS does not retry them.
    4. A recording: one `Recording` row (processing) and the download queued on commit.
    """
    key = client_limit_key(request)
    limit: dict[str, Any] = {
        "scope": REFUSED_SCOPE,
        "key": key,
        "capacity": REFUSED_CAPACITY,
        "window_seconds": REFUSED_WINDOW_SECONDS,
    }
    full = leaky_limit_peek(**limit)
    if not full.allowed:
        response = _text("Too many refused calls.", 429)
        response["Retry-After"] = str(full.retry_after_seconds)
        return response
    authorization = request.headers.get("Authorization", "")
    if not jaas.webhook_authorised(authorization):
        leaky_limit_hit(**limit)
        logger.warning(
            "Refused a JaaS webhook from %s: %s Authorization",
            client_address(request),
            "no" if not authorization else "wrong",
        )
        if not settings.JAAS_WEBHOOK_SECRET:
            return _text("The JaaS webhook is not configured.", 403)
        return _text("Authorization required.", 401)
    try:
        event = jaas.recording_event_read(request.body)
    except jaas.WebhookRefused as refused:
        return _text(str(refused), refused.status)
    if event is None:
        return _text("Ignored.", 200)
    session = jaas.session_for_room(event.room, now=timezone.now())
    if session is None:
        logger.warning("A JaaS recording of an unknown room: %s", event.room)
        return _text("No such room.", 200)
    recording_from_provider_begin(session=session, url=event.link, external_id=event.event_key)
    return _text("Queued.", 200)
