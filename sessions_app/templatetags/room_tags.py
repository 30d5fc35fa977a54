"""The live-room and recordings sections of the Session dashboard (host pages only)."""

from __future__ import annotations

from django import template
from django.utils import timezone

from sessions_app import lifecycle, rooms
from sessions_app.lifecycle import Move
from sessions_app.models import Session, SessionState
from sessions_app.room_forms import RecordingUploadForm
from sessions_app.selectors import room_people

register = template.Library()


@register.inclusion_tag("sessions_app/room/dashboard_panel.html", takes_context=True)
def room_panel(
    context: template.Context, session: Session, recordings: bool = True
) -> dict[str, object]:
    """The live room's state and its one next action; with `recordings`, the Recordings card."""
    now = timezone.now()
    entry = rooms.room_entry(session=session, now=now, is_host=True)
    is_live = session.state == SessionState.LIVE
    return {
        "session": session,
        "csrf_token": context.get("csrf_token"),
        "can_start": session.state == SessionState.SCHEDULED
        and lifecycle.is_allowed(session, Move.START, now=now),
        "is_live": is_live,
        # While a live session is inside its time its card offers "End meeting for all"; the
        # Ongoing tab of My Sessions offers "Mark complete" for it (ending it for everyone).
        "can_complete": lifecycle.is_allowed(session, Move.COMPLETE, now=now)
        and not (is_live and session.ends_at > now),
        "people": room_people(session=session, now=now) if entry == rooms.Entry.OPEN else None,
        "show_recordings": recordings,
        "recordings": list(session.recordings.order_by("created_at", "id")) if recordings else [],
        "upload_form": RecordingUploadForm() if recordings else None,
    }
