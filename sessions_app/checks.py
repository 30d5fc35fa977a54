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


@register(Tags.security, deploy=True)
def jaas_settings_check(**kwargs: Any) -> list[CheckMessage]:
    """JaaS needs its AppID, key id and private key to sign tokens, and its webhook's secret
    and download hosts to collect recordings."""
    if settings.VIDEO_PROVIDER != "jaas":
        return []
    warnings: list[CheckMessage] = []
    has_key = settings.JAAS_PRIVATE_KEY or settings.JAAS_PRIVATE_KEY_PATH
    if not (settings.JAAS_APP_ID and settings.JAAS_API_KEY_ID and has_key):
        warnings.append(
            Warning(
                "VIDEO_PROVIDER is jaas but JAAS_APP_ID, JAAS_API_KEY_ID or the private key "
                "is missing: room pages cannot sign their tokens.",
                hint="Set JAAS_APP_ID, JAAS_API_KEY_ID and JAAS_PRIVATE_KEY (PEM) or "
                "JAAS_PRIVATE_KEY_PATH from the JaaS console's API key.",
                id="sessions_app.W003",
            )
        )
    if len(settings.JAAS_WEBHOOK_SECRET) < 16 or not settings.JAAS_RECORDING_HOSTS:
        warnings.append(
            Warning(
                "JaaS recordings are not collected: JAAS_WEBHOOK_SECRET is empty or short, or "
                "JAAS_RECORDING_HOSTS names no host to download from.",
                hint="Set a long random JAAS_WEBHOOK_SECRET (and the same Authorization header "
                "in the JaaS console's webhook for /media/jaas/webhook/), and the hosts of "
                "JaaS's recording links in JAAS_RECORDING_HOSTS.",
                id="sessions_app.W004",
            )
        )
    return warnings
