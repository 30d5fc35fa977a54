"""Kinds of message and the function that renders each, registered by the app that owns it.

A domain app registers its kinds in `AppConfig.ready()`; the dispatcher looks the kind up at send
time, so the e-mail is built from the current state of the object it is about.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.core.mail import EmailMessage
from django.db.models import QuerySet

if TYPE_CHECKING:
    from reminders.grouped import GroupedEmail
    from reminders.models import Message

# A renderer returns the e-mail, or a `GroupedEmail` when e-mails of many recipients differ
# only in a few personal values (reminders.grouped builds those once per group).
Renderer = Callable[["Message"], "EmailMessage | GroupedEmail"]

_renderers: dict[str, Renderer] = {}
# Per kind, how to load the objects its messages are about, with what the renderer reads
# (select_related), so a batch of a thousand messages loads them in one query, not thousands.
_about_querysets: dict[str, Callable[[], QuerySet]] = {}


class NotWanted(Exception):
    """Raised by a renderer when the message should no longer go out.

    `cancelled=True` when the object changed so the message is void (a cancelled session, a
    newer schedule); otherwise it is marked skipped (its moment has passed).
    """

    def __init__(self, reason: str, *, cancelled: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.cancelled = cancelled


def register(
    kind: str, *, about_queryset: Callable[[], QuerySet] | None = None
) -> Callable[[Renderer], Renderer]:
    def decorator(renderer: Renderer) -> Renderer:
        existing = _renderers.get(kind)
        if existing is not None and existing is not renderer:
            raise ValueError(f"message kind {kind!r} is already registered")
        _renderers[kind] = renderer
        if about_queryset is not None:
            _about_querysets[kind] = about_queryset
        return renderer

    return decorator


def about_querysets(kinds: set[str]) -> list[QuerySet]:
    """One queryset per model for the kinds given (the first kind registered for a model wins)."""
    by_model: dict[type, QuerySet] = {}
    for kind in sorted(kinds):
        factory = _about_querysets.get(kind)
        if factory is not None:
            queryset = factory()
            by_model.setdefault(queryset.model, queryset)
    return list(by_model.values())


def renderer_for(kind: str) -> Renderer:
    try:
        return _renderers[kind]
    except KeyError:
        raise LookupError(f"no renderer registered for message kind {kind!r}") from None


def registered_kinds() -> list[str]:
    return sorted(_renderers)
