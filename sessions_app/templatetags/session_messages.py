"""What the outbox planned and sent about a session, for its dashboard."""

from __future__ import annotations

from django import template

from reminders.models import MessageStatus
from reminders.selectors import topic_problem_addresses, topic_status_counts
from sessions_app.models import Session
from sessions_app.services import session_topic

register = template.Library()

KIND_LABELS = {
    "session_confirmation": "Confirmation",
    "session_update": "Update (rescheduled)",
    "session_cancellation": "Cancellation",
    "session_reminder_day": "Reminder a day before",
    "session_reminder_hour": "Reminder an hour before",
    "session_reminder_30min": "Reminder 30 minutes before",
    "host_reminder_day": "Host reminder a day before",
    "host_reminder_hour": "Host reminder an hour before",
}
COLUMNS = [
    MessageStatus.PENDING,
    MessageStatus.SENT,
    MessageStatus.FAILED,
    MessageStatus.SKIPPED,
    MessageStatus.CANCELLED,
]


@register.inclusion_tag("sessions_app/includes/messages_panel.html")
def session_messages_panel(session: Session, problems: dict[str, str]) -> dict[str, object]:
    """`problems` comes from `session_delivery_problems`, which the registrations list uses too."""
    counts = topic_status_counts(topic=session_topic(session))
    rows = [
        {
            "label": KIND_LABELS.get(kind, kind),
            "counts": [by_status.get(status, 0) for status in COLUMNS],
        }
        for kind, by_status in sorted(
            counts.items(),
            key=lambda item: list(KIND_LABELS).index(item[0]) if item[0] in KIND_LABELS else 99,
        )
    ]
    return {
        "session": session,
        "rows": rows,
        "columns": [status.label for status in COLUMNS],
        "problems": problems,
    }


@register.simple_tag
def session_delivery_problems(session: Session) -> dict[str, str]:
    """{lower-cased address: bounced | rejected | complained} for the registrations table."""
    return topic_problem_addresses(topic=session_topic(session))


@register.filter
def delivery_problem(problems: dict[str, str] | str, email: str) -> str:
    return problems.get(email.lower(), "") if isinstance(problems, dict) else ""


@register.filter
def message_kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind.replace("_", " "))
