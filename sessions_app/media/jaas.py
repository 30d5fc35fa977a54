"""JaaS's webhook: which calls are JaaS's, and which session a recording belongs to.

JaaS posts every event of the account to one configured URL, with the Authorization header
the account set in its console (`JAAS_WEBHOOK_SECRET`). A recording arrives as
`RECORDING_UPLOADED`: `fqn` "<AppID>/<room>", `idempotencyKey`, and
`data.preAuthenticatedLink`, a download link valid for 24 hours.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils.crypto import constant_time_compare

from sessions_app.media.jitsi import room_name
from sessions_app.models import Session

RECORDING_UPLOADED = "RECORDING_UPLOADED"
# Room names are HMACs (nothing to invert): the session is found among those started lately.
# JaaS keeps a recording 24 hours and retries its webhook for a while; a week is ample.
ROOM_LOOKBACK = timedelta(days=7)


class WebhookRefused(Exception):
    """Not JaaS's call (401), or not a call Convene can read (400)."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class RecordingUploaded:
    room: str
    link: str
    event_key: str


def webhook_authorised(authorization: str) -> bool:
    """The call carries the Authorization header set in the JaaS console (constant time)."""
    secret = settings.JAAS_WEBHOOK_SECRET
    return bool(secret) and constant_time_compare(authorization, secret)


def recording_event_read(body: bytes) -> RecordingUploaded | None:
    """The recording a webhook body announces; None for the account's other events."""
    try:
        event = json.loads(body)
    except (ValueError, UnicodeDecodeError) as unreadable:
        raise WebhookRefused("The body is not JSON.", status=400) from unreadable
    if not isinstance(event, dict):
        raise WebhookRefused("The body is not a JaaS event.", status=400)
    if event.get("eventType") != RECORDING_UPLOADED:
        return None
    fqn, data = event.get("fqn"), event.get("data")
    if not isinstance(fqn, str) or "/" not in fqn or not isinstance(data, dict):
        raise WebhookRefused("The event names no room or carries no data.", status=400)
    app_id, room = fqn.split("/", 1)
    link = data.get("preAuthenticatedLink")
    if not isinstance(link, str) or not link:
        raise WebhookRefused("The event carries no preAuthenticatedLink.", status=400)
    if app_id != settings.JAAS_APP_ID:
        raise WebhookRefused("The event is about another JaaS AppID.", status=400)
    key = event.get("idempotencyKey") or event.get("sessionId") or link
    return RecordingUploaded(room=room.lower(), link=link, event_key=str(key)[:200])


def session_for_room(room: str, *, now: datetime) -> Session | None:
    """The session whose room this is, among those that started, scheduled in the last
    `ROOM_LOOKBACK` (or later: a host may start early)."""
    candidates = Session.objects.filter(
        starts_at__gte=now - ROOM_LOOKBACK, started_at__isnull=False
    ).only("pk")
    for session in candidates.iterator(chunk_size=500):
        if constant_time_compare(room_name(session), room):
            return Session.objects.select_related("program").get(pk=session.pk)
    return None
