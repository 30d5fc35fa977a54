"""Times on pages: in the zone the page uses, with the event's own zone beside it.

`{% local_time moment zone %}` is how every page shows a moment (`zone` is the event's: the
session's, round's, commitment's); `{% page_time_zone as page_zone %}` in base.html picks the
zone the whole page renders in, which the footer names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from programs import timezones

register = template.Library()

# Context objects whose zone a page falls back to when the viewer's is not known, first found
# wins: what the page is about, most specific first.
PAGE_OBJECTS = (
    ("member", "your zone on the program's roster"),
    ("commitment", "the zone of your commitment"),
    ("session", "the session's zone"),
    ("round", "the round's zone"),
    ("program", "the program's zone"),
)


@dataclass(frozen=True)
class PageZone:
    name: str
    reason: str  # said in the footer: "from your browser", "the session's zone", …

    @property
    def phrase(self) -> str:
        return timezones.zone_phrase(self.name)

    @property
    def offset(self) -> str:
        return timezones.utc_offset_text(self.name)


def _viewer_reason(known: tuple[str, str] | None) -> str:
    if not known:
        return ""
    return "the zone you chose" if known[1] == timezones.CHOSEN else "your browser's zone"


@register.simple_tag(takes_context=True)
def page_time_zone(context: template.Context) -> PageZone:
    """The zone this page renders in: one its view chose (`page_zone_name`, as planning's
    `?tz=`), else the viewer's (chosen or their browser's), else the zone of what the page is
    about, else UTC."""
    request = context.get("request")
    known = getattr(request, "viewer_zone", None)
    if context.get("page_zone_name"):
        reason = context.get("page_zone_reason", "")
        return PageZone(context["page_zone_name"], reason or _viewer_reason(known))
    if known:
        return PageZone(known[0], _viewer_reason(known))
    for key, reason in PAGE_OBJECTS:
        found = context.get(key)
        name = getattr(found, "time_zone", "") if found is not None else ""
        if isinstance(name, str) and name and timezones.is_valid_time_zone(name):
            return PageZone(name, reason)
    # A host's pages across programs: the first program's zone, from a list already loaded
    # (never a QuerySet, which would cost a query here).
    hosted = context.get("programs")
    first_zone = getattr(hosted[0], "time_zone", "") if isinstance(hosted, list) and hosted else ""
    if first_zone:
        return PageZone(first_zone, "your program's zone")
    return PageZone(timezone.get_current_timezone_name(), "")


def local_time_html(
    moment: datetime | None, zone: str = "", style: str = "long", end: datetime | None = None
) -> SafeString:
    """The moment in the active zone, inside a `local-time` span that names what it shows
    (the moment and end in UTC, the event's zone, the style): `time_zone.js` sends those to
    `zone_times` to show a first page in the browser's zone without reloading it."""
    if moment is None:
        return SafeString("")
    return format_html(
        '<span class="local-time" data-moment="{}" data-zone="{}" data-style="{}"{}>{}</span>',
        _utc(moment),
        zone or "",
        style,
        format_html(' data-end="{}"', _utc(end)) if end else "",
        local_time_parts(moment, zone, style, end),
    )


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def local_time_parts(
    moment: datetime, zone: str = "", style: str = "long", end: datetime | None = None
) -> SafeString:
    """The `<time>` (and the event's zone beside it) in the active zone, without the wrapper."""
    text = timezones.moment_text(
        moment,
        viewer_zone=timezone.get_current_timezone_name(),
        event_zone=zone or "",
        style=style,
        end=end,
    )
    if not text.beside:
        return format_html('<time datetime="{}">{}</time>', text.iso, text.primary)
    return format_html(
        '<time datetime="{}">{}</time><span class="zone-beside"> · {}</span>',
        text.iso,
        text.primary,
        text.beside,
    )


@register.simple_tag
def local_time(
    moment: datetime | None, zone: str = "", style: str = "long", end: datetime | None = None
) -> SafeString:
    """`moment` in the page's zone ("Tue 24 Nov 2026, 02:30 Tokyo time"), then, when `zone`
    (the event's) differs, " · 18:30 in Berlin" (with the day when that differs). `style` is
    long, short, day or time; `end` makes it a range."""
    return local_time_html(moment, zone, style, end)


@register.filter
def zone_phrase(name: str) -> str:
    """ "Europe/Berlin" → "Berlin time"."""
    return timezones.zone_phrase(name) if name else ""
