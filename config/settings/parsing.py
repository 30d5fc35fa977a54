"""Parsers for settings whose shape django-environ does not read the way the README writes it."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from sessions_app.reminder_moments import REMINDER_MOMENTS


def reminder_offsets(raw: str, *, name: str = "SESSION_REMINDER_OFFSETS") -> dict[str, int]:
    """`day=120,hour=60,30min=30` (commas or semicolons) as {moment: seconds}; empty is {}.

    A bad value stops every command with one line naming the setting, the part that is wrong
    and the accepted form, rather than a bare `invalid literal for int()`.
    """
    offsets: dict[str, int] = {}
    example = f"e.g. {name}=day=120,hour=60,30min=30"
    for part in raw.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        moment, sep, seconds = (piece.strip() for piece in part.partition("="))
        if not sep:
            raise ImproperlyConfigured(f"{name}: {part!r} is not moment=seconds ({example}).")
        if moment not in REMINDER_MOMENTS:
            raise ImproperlyConfigured(
                f"{name}: unknown moment {moment!r}; the moments are "
                f"{', '.join(REMINDER_MOMENTS)} ({example})."
            )
        if not seconds.isdigit() or int(seconds) <= 0:
            raise ImproperlyConfigured(
                f"{name}: {moment}={seconds!r} is not a whole number of seconds above 0 ({example})."
            )
        offsets[moment] = int(seconds)
    return offsets
