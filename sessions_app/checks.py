"""System checks of the live rooms' media settings (`manage.py check --deploy`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register

PUBLIC_JITSI_HOSTS = {"meet.jit.si"}


@register(Tags.security, deploy=True)
def public_jitsi_check(**kwargs: Any) -> list[CheckMessage]:
    if settings.VIDEO_PROVIDER != "jitsi":
        return []
    host = urlsplit(settings.VIDEO_PROVIDER_BASE_URL).hostname or ""
    if host not in PUBLIC_JITSI_HOSTS:
        return []
    return [
        Warning(
            "Rooms use the public meet.jit.si, which is for demos only: embedded calls are "
            "cut after 5 minutes and the first person to sign in becomes its moderator.",
            hint="Set VIDEO_PROVIDER=janus (self-hosted), or point VIDEO_PROVIDER_BASE_URL at "
            "your own Jitsi Meet with JITSI_APP_ID and JITSI_APP_SECRET.",
            id="sessions_app.W001",
        )
    ]


@register(Tags.security, deploy=True)
def janus_admin_secret_check(**kwargs: Any) -> list[CheckMessage]:
    if settings.VIDEO_PROVIDER != "janus" or len(settings.JANUS_ADMIN_SECRET) >= 16:
        return []
    return [
        Warning(
            "JANUS_ADMIN_SECRET is empty or short: the Admin API creates rooms and credentials.",
            hint="Set the same long random JANUS_ADMIN_SECRET for Convene and Janus.",
            id="sessions_app.W002",
        )
    ]
