"""Building e-mails: one template triple per kind, plus an optional calendar invite."""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


@dataclass(frozen=True)
class CalendarInvite:
    """An iCalendar document and its METHOD (REQUEST, CANCEL …), which the MIME part must repeat."""

    ics: bytes
    method: str
    filename: str = "invite.ics"


def build_email(
    *,
    template: str,
    context: dict[str, object],
    to_email: str,
    to_name: str = "",
    invite: CalendarInvite | None = None,
    reply_to: list[str] | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMultiAlternatives:
    """Render `emails/<template>_subject.txt`, `_body.txt` and `_body.html` into one message.

    With an invite, the calendar goes in twice, as mail clients expect: as a
    `text/calendar; method=…` alternative (Outlook and Gmail show an invite from it) and as an
    attached `.ics` file (everyone else can import it).
    """
    context = {"PUBLIC_BASE_URL": settings.PUBLIC_BASE_URL, **context}
    subject = render_to_string(f"emails/{template}_subject.txt", context)
    subject = " ".join(subject.split())
    text_body = render_to_string(f"emails/{template}_body.txt", context)
    html_body = render_to_string(f"emails/{template}_body.html", context)
    email = EmailMultiAlternatives(
        subject=subject,
        body=text_body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[formataddr((to_name, to_email)) if to_name else to_email],
        reply_to=reply_to,
        headers=headers or {},
    )
    email.attach_alternative(html_body, "text/html")
    if invite is not None:
        email.attach_alternative(
            invite.ics.decode("utf-8"), f"text/calendar; method={invite.method}"
        )
        email.attach(invite.filename, invite.ics, f"application/ics; method={invite.method}")
    return email
