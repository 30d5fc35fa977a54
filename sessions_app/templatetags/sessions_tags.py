"""Panels that pages of other apps compose in their templates (programs cannot import us)."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from programs.models import Program
from programs.templatetags.zones import local_time_html
from sessions_app import lifecycle
from sessions_app.models import Session
from sessions_app.selectors import program_past_sessions, program_upcoming_sessions

register = template.Library()

PANEL_SESSIONS = 50


@register.inclusion_tag("sessions_app/includes/program_sessions_panel.html", takes_context=True)
def program_sessions_panel(context: template.Context, program: Program) -> dict[str, object]:
    """The sessions section of the Program Overview: upcoming and past sessions as tiles."""
    now = timezone.now()
    upcoming = program_upcoming_sessions(program=program, now=now, limit=PANEL_SESSIONS + 1)
    past = program_past_sessions(program=program, now=now, limit=PANEL_SESSIONS + 1)
    return {
        "program": program,
        "sessions": upcoming[:PANEL_SESSIONS],
        "past_sessions": past[:PANEL_SESSIONS],
        "has_more": len(upcoming) > PANEL_SESSIONS or len(past) > PANEL_SESSIONS,
        "request": context.get("request"),
    }


@register.filter
def session_allows(session: Session, move: str) -> bool:
    """Whether the session's state allows `move` ("start", "end", "complete", "cancel",
    "reschedule") now, as `sessions_app.lifecycle` decides: a page offers only those buttons."""
    return lifecycle.is_allowed(session, lifecycle.Move(move), now=timezone.now())


@register.filter
def session_when(session: Session) -> SafeString:
    """The session's start and end in the page's zone, the session's zone beside it."""
    return local_time_html(session.starts_at, session.time_zone, "long", end=session.ends_at)


@register.filter
def session_starts_short(session: Session) -> SafeString:
    return local_time_html(session.starts_at, session.time_zone, "short")


@register.filter
def in_session_zone(moment: datetime | None, session: Session) -> SafeString:
    return local_time_html(moment, session.time_zone, "short")


# Badge colour per listed status (Session.listed_status): live and completed in green, a
# session running without its host in amber, cancelled in red, ended without "Mark complete"
# muted.
STATUS_TONES = {
    "Upcoming": "",
    "Ongoing": "warn",
    "Live": "on",
    "Ended": "off",
    "Completed": "on",
    "Cancelled": "bad",
}


@register.filter
def session_status_badge(session: Session) -> SafeString:
    """The session's status as a badge, wherever a session is named or listed."""
    label = session.listed_status(now=timezone.now())
    tone = STATUS_TONES.get(label, "")
    return format_html('<span class="badge{}">{}</span>', f" {tone}" if tone else "", label)
