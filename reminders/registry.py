"""Kinds of message and the function that renders each, registered by the app that owns it.

A domain app registers its kinds in `AppConfig.ready()`; the dispatcher looks the kind up at send
time, so the e-mail is built from the current state of the object it is about.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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


def about_attach(messages: Sequence[Message]) -> None:
    """Attach each message's object (`about`, None when it is gone) from one query per model,
    with what `register_about_queryset` says its renderers read: the dispatcher's prefetch.
    Django's `GenericPrefetch` does the same at about 60 µs a message (a content-type lookup
    per row); here each content type is looked up once."""
    from django.contrib.contenttypes.models import ContentType

    from reminders.models import Message

    wanted: dict[int, list[Message]] = {}
    for message in messages:
        if message.content_type_id is not None and message.object_id is not None:
            wanted.setdefault(message.content_type_id, []).append(message)
        else:
            Message.about.set_cached_value(message, None)
    querysets = {qs.model: qs for qs in about_querysets({m.kind for m in messages})}
    for content_type_id, group in wanted.items():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        queryset = querysets.get(model) if model is not None else None
        if queryset is None and model is not None:
            queryset = model._base_manager.all()  # as GenericPrefetch does
        found = queryset.in_bulk({m.object_id for m in group}) if queryset is not None else {}
        for message in group:
            Message.about.set_cached_value(message, found.get(message.object_id))


def renderer_for(kind: str) -> Renderer:
    try:
        return _renderers[kind]
    except KeyError:
        raise LookupError(f"no renderer registered for message kind {kind!r}") from None


def registered_kinds() -> list[str]:
    return sorted(_renderers)
