"""The viewer's time zone, and how a moment reads in it beside the event's own zone.

Where a page's zone comes from, first match wins (see docs/product.md, "Times and zones"):

1. the zone the viewer chose with the zone switcher (kept in Django's session);
2. the zone their browser reported (`static/js/time_zone.js` sets the `convene_tz` cookie on
   the first visit; it is checked here against the canonical zones, old names mapped to new);
3. otherwise the page's own event: a session's, commitment's, round's, member's or program's
   zone (`programs.templatetags.zones.page_time_zone`), and the footer says so;
4. otherwise UTC.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.dateformat import format as date_format

SESSION_KEY = "viewer_time_zone"
DETECTED_COOKIE = "convene_tz"

CHOSEN = "chosen"
BROWSER = "browser"


@cache
def known_time_zones() -> frozenset[str]:
    """Every zone name the installed tzdata knows, read once per process: the lookup walks
    the tzdata files (about 3 ms), and a roster import checks one zone per row."""
    return frozenset(zoneinfo.available_timezones())


def _tzdata_file(name: str) -> Path | None:
    """A file of the tzdata package (the same data `zoneinfo` reads), else of the system's."""
    try:
        import tzdata

        path = Path(tzdata.__file__).parent / "zoneinfo" / name
        if path.exists():
            return path
    except ImportError:
        pass
    path = Path("/usr/share/zoneinfo") / name
    return path if path.exists() else None


@cache
def canonical_time_zones() -> frozenset[str]:
    """The zones a picker offers: those of `zone.tab` and `zone1970.tab` (one or more per
    country, current names only) and UTC. Backward links (`US/Eastern`, `Asia/Calcutta`,
    `Etc/GMT+5`) are not in them."""
    names = {"UTC"}
    for table in ("zone1970.tab", "zone.tab"):
        path = _tzdata_file(table)
        if path is None:
            continue
        for line in path.read_text().splitlines():
            if line and not line.startswith("#"):
                names.add(line.split("\t")[2])
    return frozenset(names & known_time_zones())


@cache
def time_zone_aliases() -> dict[str, str]:
    """{old or alias name: canonical name}, from the `L target alias` lines of tzdata.zi."""
    path = _tzdata_file("tzdata.zi")
    aliases: dict[str, str] = {"Etc/UTC": "UTC", "Etc/Universal": "UTC", "Etc/Zulu": "UTC"}
    if path is not None:
        links = {}
        for line in path.read_text().splitlines():
            if line.startswith("L "):
                _, target, alias = line.split()
                links[alias] = target
        for alias, target in links.items():
            for _ in range(3):  # a link to a link
                target = links.get(target, target)
            if target in canonical_time_zones() and alias not in canonical_time_zones():
                aliases[alias] = target
    return aliases


def canonical_time_zone(name: str) -> str | None:
    """The canonical name of a zone (old names mapped to current ones), or None if unknown."""
    if name in canonical_time_zones():
        return name
    return time_zone_aliases().get(name)


def is_valid_time_zone(name: str) -> bool:
    return name in known_time_zones()


def zone_city(name: str) -> str:
    """A readable name: "Europe/Berlin" → "Berlin", "America/Argentina/Buenos_Aires" →
    "Buenos Aires"; UTC stays UTC."""
    return name.rsplit("/", 1)[-1].replace("_", " ")


def zone_phrase(name: str) -> str:
    """What follows a time: "Berlin time", or "UTC"."""
    city = zone_city(name)
    return city if city in ("UTC", "GMT") else f"{city} time"


def utc_offset_text(name: str, *, now: datetime | None = None) -> str:
    """The zone's offset at `now` (default: this moment), like "UTC+05:30" or "UTC-03:00"."""
    moment = (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(name))
    offset = moment.utcoffset() or timedelta()
    minutes = int(offset.total_seconds() // 60)
    if minutes == 0:
        return "UTC+00:00"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def _offset_minutes(name: str, now: datetime) -> int:
    offset = now.astimezone(zoneinfo.ZoneInfo(name)).utcoffset() or timedelta()
    return int(offset.total_seconds() // 60)


@lru_cache(maxsize=8)
def _all_zone_rows(hour: datetime) -> tuple[tuple[str, str, int], ...]:
    """(name, label, offset minutes) for every canonical zone, sorted by offset then name;
    cached per hour, since offsets change only at DST transitions."""
    rows = [
        (name, f"{zone_city(name)} — {name} ({utc_offset_text(name, now=hour)})", minutes)
        for name in canonical_time_zones()
        for minutes in [_offset_minutes(name, hour)]
    ]
    return tuple(sorted(rows, key=lambda row: (row[2], row[0])))


def time_zone_choices(*, likely: list[str] | tuple[str, ...] = ()) -> list[tuple[str, object]]:
    """The choices of every zone picker: the `likely` zones first (the field's value, the
    viewer's zone), then the other zones of the first one's offset, then all by offset.

    Labels read "Tokyo — Asia/Tokyo (UTC+09:00)", so typing a city, a region or an offset in
    the picker's filter finds it. Only canonical zones (no aliases).
    """
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    rows = _all_zone_rows(hour)
    labels = {name: label for name, label, _ in rows}
    first = [name for name in dict.fromkeys(likely) if name in labels]
    offset = _offset_minutes(first[0], hour) if first else None
    same_offset = [name for name, _, minutes in rows if minutes == offset and name not in first]
    if not first:
        return [(name, label) for name, label, _ in rows]
    rest = [
        (name, label) for name, label, _ in rows if name not in first and name not in same_offset
    ]
    return [
        ("Likely", [(name, labels[name]) for name in [*first, *same_offset]]),
        ("All zones", rest),
    ]


def time_zone_choice_names() -> frozenset[str]:
    return canonical_time_zones()


# How moments read. One function for pages (through the `zones` template tags) and e-mails.

STYLES = {"long": "l j F Y, H:i", "short": "D j M Y, H:i", "day": "D j M, H:i", "time": "H:i"}
OTHER_DAY = {"long": "l j F", "short": "D j M", "day": "D j M", "time": "D j M"}


@dataclass(frozen=True)
class MomentText:
    """A moment in the viewer's zone (`primary`) and, when that is not the event's zone, the
    same moment in the event's (`beside`: "18:30 in Berlin", with the day when it differs)."""

    primary: str
    beside: str
    iso: str

    def __str__(self) -> str:
        return f"{self.primary} · {self.beside}" if self.beside else self.primary


# An end on another day than its start names that day, in every style ("time" has no day).
END_OTHER_DAY = {**STYLES, "time": "D j M, H:i"}


def _span(start: datetime, end: datetime | None, style: str) -> str:
    text = date_format(start, STYLES[style])
    if end is not None:
        same_day = end.date() == start.date()
        text += " to " + date_format(end, "H:i" if same_day else END_OTHER_DAY[style])
    return text


def moment_text(
    moment: datetime,
    *,
    viewer_zone: str,
    event_zone: str = "",
    style: str = "long",
    end: datetime | None = None,
) -> MomentText:
    """ "Tuesday 24 November 2026, 02:30 to 03:30 Tokyo time · Monday 23 November, 18:30 to
    19:30 in Berlin"; only the first half when the zones are the same or `event_zone` is ""."""
    viewer = zoneinfo.ZoneInfo(viewer_zone)
    start = moment.astimezone(viewer)
    primary = f"{_span(start, end and end.astimezone(viewer), style)} {zone_phrase(viewer_zone)}"
    beside = ""
    if event_zone and event_zone != viewer_zone:
        event = zoneinfo.ZoneInfo(event_zone)
        there = moment.astimezone(event)
        text = _span(there, end and end.astimezone(event), "time")
        city = zone_city(event_zone)
        beside = f"{text} {city}" if city in ("UTC", "GMT") else f"{text} in {city}"
        if there.date() != start.date() and style != "time":
            beside = f"{date_format(there, OTHER_DAY[style])}, {beside}"
        elif there.date() != start.date():
            beside = f"{beside} ({date_format(there, OTHER_DAY[style])})"
    return MomentText(primary=primary, beside=beside, iso=start.isoformat(timespec="minutes"))


# Which zone a request uses.


def viewer_time_zone(request: HttpRequest) -> tuple[str, str] | None:
    """(zone name, CHOSEN or BROWSER) when the viewer's zone is known, else None."""
    chosen = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    if chosen and is_valid_time_zone(chosen):
        return chosen, CHOSEN
    detected = canonical_time_zone(request.COOKIES.get(DETECTED_COOKIE, ""))
    if detected:
        return detected, BROWSER
    return None


def request_viewer_zone(request: HttpRequest) -> tuple[str, str] | None:
    """(zone, where it came from) that `ViewerTimeZoneMiddleware` found, or None."""
    known: tuple[str, str] | None = getattr(request, "viewer_zone", None)
    return known


def viewer_time_zone_name(request: HttpRequest) -> str:
    """The viewer's zone to remember on what they create (a registration), or ""."""
    known = request_viewer_zone(request)
    return known[0] if known else ""


class ViewerTimeZoneMiddleware:
    """Activates the viewer's zone (chosen, else their browser's), so every template shows
    times in it; `request.viewer_zone` holds (name, source) or None."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        known = viewer_time_zone(request)
        request.viewer_zone = known  # type: ignore[attr-defined]
        if known:
            timezone.activate(zoneinfo.ZoneInfo(known[0]))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


# The zone picker of every form.


class ZonePickerSelect(forms.Select):
    """A `<select>` of the canonical zones with their offsets, the likely ones first: the
    field's value (the program's or session's zone), then the zone the viewer's pages use
    (their browser's or chosen one), then zones of the same offsets. `time_zone.js` adds a
    filter box above it."""

    def __init__(self, *, blank_label: str = "", attrs: dict[str, str] | None = None) -> None:
        super().__init__(attrs={"data-zone-picker": "", **(attrs or {})})
        self.blank_label = blank_label

    def get_context(self, name: str, value: object, attrs: dict[str, object] | None) -> dict:
        likely = [str(value) if value else "", timezone.get_current_timezone_name()]
        choices = time_zone_choices(likely=[zone for zone in likely if zone])
        self.choices = [("", self.blank_label), *choices] if self.blank_label else choices
        return super().get_context(name, value, attrs)


class TimeZoneField(forms.ChoiceField):
    """A canonical zone; an old name (`Asia/Calcutta`, `US/Eastern`) is taken as its current
    one, so values stored before pickers were canonical still save."""

    def __init__(self, *, blank_label: str = "", **kwargs: Any) -> None:
        kwargs.setdefault("widget", ZonePickerSelect(blank_label=blank_label))
        super().__init__(choices=(), **kwargs)  # the widget lists them when it renders

    def to_python(self, value: object) -> str:
        text = super().to_python(value)
        return (canonical_time_zone(text) or text) if text else text

    def valid_value(self, value: str) -> bool:
        return value in canonical_time_zones()
