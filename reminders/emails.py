"""Building e-mails: one template triple per kind, plus an optional calendar invite."""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.template.loader import render_to_string

from reminders.mime import OutboxEmail
from reminders.text import header_address, header_text


@dataclass(frozen=True)
class CalendarInvite:
    """An iCalendar document and its METHOD (REQUEST, CANCEL …), which the MIME part must repeat."""

    ics: bytes
    method: str
    filename: str = "invite.ics"


# The accent of the e-mail header and buttons when no brand colour is given (white text on it
# has a contrast of 6.7:1).
DEFAULT_ACCENT = "#1d4ed8"


@dataclass(frozen=True)
class EmailBrand:
    """A private label for an e-mail: its From display name, header, title and accent colour.

    The sending address stays DEFAULT_FROM_EMAIL's: only the name in front of it changes, so
    SPF, DKIM and the provider's verified sender are unaffected. The colour must be readable
    as white text on it and as text on white (the caller checks).
    """

    name: str
    colour: str = ""


def _from_email(brand: EmailBrand | None) -> str:
    if brand is None:
        return settings.DEFAULT_FROM_EMAIL
    _, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    # formataddr quotes commas and quotes; header_text folds line breaks and control characters.
    return formataddr((header_text(brand.name), address))


def email_recipient(name: str, address: str) -> str:
    """The To address of `name` at `address`, as `build_email` writes it."""
    name = header_text(name)
    return formataddr((name, header_address(address))) if name else header_address(address)


def outbox_message_id(message_id: int) -> str:
    """The Message-ID of one outbox row: on the sending domain, the same on every retry."""
    return f"<convene.{message_id}@{settings.MAIL_DOMAIN}>"


def thread_message_id(key: str) -> str:
    """A Message-ID named after what a thread is about (`registration-5`), for its first e-mail.

    Later e-mails of the thread name it in `In-Reply-To` and `References` without looking the
    first one's outbox row up.
    """
    return f"<{key}.thread@{settings.MAIL_DOMAIN}>"


def thread_headers(*, key: str, is_first: bool) -> dict[str, str]:
    """Headers that put an e-mail in the thread of `key`: the first one opens it."""
    root = thread_message_id(key)
    if is_first:
        return {"Message-ID": root}
    return {"In-Reply-To": root, "References": root}


def build_email(
    *,
    template: str,
    context: dict[str, object],
    to_email: str = "",
    to_name: str = "",
    to: str = "",
    invite: CalendarInvite | None = None,
    reply_to: list[str] | None = None,
    headers: dict[str, str] | None = None,
    brand: EmailBrand | None = None,
) -> OutboxEmail:
    """Render `emails/<template>_subject.txt`, `_body.txt` and `_body.html` into one message.

    With an invite, the calendar goes in twice, as mail clients expect: as a
    `text/calendar; method=…` alternative (Outlook and Gmail show an invite from it) and as an
    attached `.ics` file (everyone else can import it).

    Every e-mail says `Auto-Submitted: auto-generated` (RFC 3834), so that vacation responders
    do not answer it. The dispatcher gives it a Message-ID on the sending domain unless
    `headers` carry one (the first e-mail of a thread).

    With a brand (participant e-mails of a branded program), the From name, the HTML header,
    title and footer and the accent colour are the brand's; without one they say Convene.

    Every header is built here from one-line text (`header_text`): the subject, the To name
    and the brand's From name, whatever the stored rows they come from hold.
    """
    context = {
        "PUBLIC_BASE_URL": settings.PUBLIC_BASE_URL,
        "email_brand": brand,
        "accent": (brand and brand.colour) or DEFAULT_ACCENT,
        **context,
    }
    subject = header_text(render_to_string(f"emails/{template}_subject.txt", context))
    text_body = render_to_string(f"emails/{template}_body.txt", context)
    html_body = render_to_string(f"emails/{template}_body.html", context)
    email = OutboxEmail(
        subject=subject,
        body=text_body,
        from_email=_from_email(brand),
        to=[to or email_recipient(to_name, to_email)],
        reply_to=[header_address(address) for address in reply_to or []] or None,
        headers={
            "Auto-Submitted": "auto-generated",
            **{name: header_text(value) for name, value in (headers or {}).items()},
        },
    )
    email.attach_alternative(html_body, "text/html")
    if invite is not None:
        email.attach_alternative(
            invite.ics.decode("utf-8"), f"text/calendar; method={invite.method}"
        )
        email.attach(invite.filename, invite.ics, f"application/ics; method={invite.method}")
    return email
