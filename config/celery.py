"""The Celery app: broker from REDIS_URL (or the embedded SQLite broker), beat schedule."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable

from celery import Celery
from kombu.transport import redis as kombu_redis

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")


def _closing_survives_a_collected_transport(
    close: Callable[[kombu_redis.Channel], None],
) -> Callable[[kombu_redis.Channel], None]:
    """On losing the broker, Celery 5.7's consumer first collects the connection (which
    detaches its transport) and then closes it; closing the Redis channel then tries to requeue
    unacknowledged messages through the detached transport and raises AttributeError, which
    the worker treats as unrecoverable: it exits instead of reconnecting. A channel whose
    transport is gone is closed without the requeue (Redis redelivers those messages after
    the visibility timeout; the outbox's own lease keeps that safe), and the worker reconnects.
    """

    @functools.wraps(close)
    def close_channel(channel: kombu_redis.Channel) -> None:
        try:
            close(channel)
        except AttributeError:
            if getattr(channel.connection, "client", None) is not None:
                raise
            channel.closed = True

    return close_channel


kombu_redis.Channel.close = _closing_survives_a_collected_transport(  # type: ignore[method-assign]
    kombu_redis.Channel.close
)

app = Celery("convene")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
