"""The design system's template tags: icons, avatars by initials and status badges.

`{% load ui %}` then:
- `{% icon "calendar" %}` inlines `static/icons/calendar.svg` (Lucide, vendored) hidden from
  assistive technology, for an icon beside words; `{% icon "calendar" label="Planning" %}` is
  an image with that name, for an icon that stands alone.
- `{% avatar member.name %}` is a coloured circle with the name's initials, hidden from
  assistive technology because the name is written beside it; `labelled=True` names it.
- `{% status_badge "live" "Live" %}` is a badge with the status's colour and icon.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from functools import cache

from django.conf import settings
from django.template import Library
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = Library()

ICON_DIR = settings.BASE_DIR / "static" / "icons"
_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_SVG_OPEN = re.compile(r"<svg\b[^>]*>", re.S)


@cache
def _icon_body(name: str) -> str:
    """The shapes inside the icon's `<svg>`, read once per process."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"Not an icon name: {name!r}")
    path = ICON_DIR / f"{name}.svg"
    if not path.is_file():
        raise ValueError(f"No icon {name!r}: copy it from lucide-static into static/icons/")
    text = path.read_text(encoding="utf-8")
    opening = _SVG_OPEN.search(text)
    if opening is None:
        raise ValueError(f"{path.name} is not an SVG file")
    body = text[opening.end() : text.rindex("</svg>")]
    return " ".join(body.split())


@register.simple_tag
def icon(name: str, label: str = "") -> SafeString:
    body = _icon_body(name)
    naming = f'role="img" aria-label="{escape(label)}"' if label else 'aria-hidden="true"'
    return mark_safe(
        f'<svg class="icon icon-{name}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" '
        f'width="24" height="24" fill="none" stroke="currentColor" stroke-width="2" '
        f'stroke-linecap="round" stroke-linejoin="round" focusable="false" {naming}>'
        f"{body}</svg>"
    )


AVATAR_COLOURS = 10


def initials(name: str) -> str:
    """ "Ada Lovelace" → "AL", "ada@example.org" → "A", "" → "?"."""
    text = unicodedata.normalize("NFKC", name or "").strip()
    if "@" in text and " " not in text:
        text = text.split("@", 1)[0].replace(".", " ").replace("_", " ")
    words = [word for word in re.split(r"[\s\-]+", text) if word and word[0].isalnum()]
    if not words:
        return "?"
    letters = words[0][0] + (words[-1][0] if len(words) > 1 else "")
    return letters.upper()


def avatar_colour(name: str) -> int:
    """One of the palette's colours, the same for the same name in every process."""
    key = unicodedata.normalize("NFKC", name or "").strip().casefold()
    return zlib.crc32(key.encode("utf-8")) % AVATAR_COLOURS


@register.simple_tag
def avatar(name: str, labelled: bool = False, size: str = "") -> SafeString:
    naming = f'role="img" aria-label="{escape(name)}"' if labelled else 'aria-hidden="true"'
    size_class = f" avatar-{size}" if size in {"small", "large"} else ""
    return mark_safe(
        f'<span class="avatar avatar-{avatar_colour(name)}{size_class}" {naming}>'
        f"{escape(initials(name))}</span>"
    )


# Status → its icon. The badge's colour is the CSS class `status-<key>`.
STATUS_ICONS = {
    "upcoming": "calendar",
    "scheduled": "calendar",
    "live": "radio",
    "ongoing": "hourglass",
    "open": "mail",
    "ended": "circle-check",
    "completed": "circle-check",
    "matched": "users",
    "cancelled": "ban",
    "active": "circle-check",
    "paused": "hourglass",
    "left": "circle-x",
}


@register.simple_tag
def status_badge(key: str, label: str = "") -> SafeString:
    key = str(key).lower()
    shown = label or key.capitalize()
    name = STATUS_ICONS.get(key)
    mark = icon(name) if name else ""
    css = key if key in STATUS_ICONS else "other"
    return mark_safe(f'<span class="badge status-{css}">{mark}{escape(shown)}</span>')
