"""The e-mails commitments send, rendered from current state when the dispatcher sends them."""

from __future__ import annotations

from datetime import date, datetime

from django.core.mail import EmailMessage
from django.urls import reverse

from commitments.models import Commitment
from commitments.selectors import COMMITMENT_TOKEN_PURPOSE
from commitments.services import CREATED_KIND, REMINDER_KIND, commitment_set_reminder
from programs.branding import program_email_brand
from programs.links import public_url
from reminders.emails import build_email
from reminders.models import Message
from reminders.registry import NotWanted, register
from reminders.tokens import token_make
from reminders.unsubscribe import Stream, stream_register, unsubscribe_headers

# One click on List-Unsubscribe turns the commitment's daily check-in reminder off.
CHECKIN_STREAM = "checkins"


def _reminders_stop(commitment: Commitment, now: datetime) -> None:
    if commitment.reminder_time is not None and not commitment.has_ended_early:
        commitment_set_reminder(commitment=commitment, reminder_time=None, now=now)


stream_register(
    Stream(
        name=CHECKIN_STREAM,
        describe=lambda commitment: "daily check-in reminders of your commitment",
        queryset=lambda: Commitment.objects.select_related("session__program"),
        stop=_reminders_stop,
    )
)


def commitment_url(commitment: Commitment) -> str:
    """The personal link, on the program's own host name when it has one."""
    token = token_make(
        purpose=COMMITMENT_TOKEN_PURPOSE,
        object_id=commitment.pk,
        version=commitment.token_version,
    )
    return public_url(
        reverse("commitments:link", kwargs={"token": token}), program=commitment.session.program
    )


def _context(commitment: Commitment) -> dict[str, object]:
    program = commitment.session.program
    return {
        "commitment": commitment,
        "session": commitment.session,
        "module": commitment.module,
        "brand_name": program.brand_name or program.name,
        "commitment_url": commitment_url(commitment),
    }


def _commitment(message: Message) -> Commitment:
    commitment = message.about
    if not isinstance(commitment, Commitment):
        raise NotWanted("the commitment was deleted", cancelled=True)
    return commitment


def commitments_for_rendering():
    """What both commitment e-mails read, loaded with the dispatcher's batch in few queries."""
    return Commitment.objects.select_related("session__program", "module").prefetch_related(
        "checkins"
    )


@register(CREATED_KIND, about_queryset=commitments_for_rendering)
def render_commitment_created(message: Message) -> EmailMessage:
    commitment = _commitment(message)
    return build_email(
        template=CREATED_KIND,
        context=_context(commitment),
        to_email=commitment.participant_email,
        to_name=commitment.participant_name,
        brand=program_email_brand(commitment.session.program),
    )


@register(REMINDER_KIND, about_queryset=commitments_for_rendering)
def render_checkin_reminder(message: Message) -> EmailMessage:
    commitment = _commitment(message)
    day = date.fromisoformat(str(message.payload.get("day")))
    if commitment.reminder_time is None:
        raise NotWanted("the participant turned the reminder off", cancelled=True)
    if commitment.has_ended_early:
        raise NotWanted("the participant ended the commitment", cancelled=True)
    if not commitment.includes(day):
        raise NotWanted("the day is outside the commitment", cancelled=True)
    if any(check_in.day == day for check_in in commitment.checkins.all()):
        raise NotWanted("already checked in that day")
    return build_email(
        template=REMINDER_KIND,
        context={
            **_context(commitment),
            "day": day,
            "day_number": commitment.day_number(day),
        },
        to_email=commitment.participant_email,
        to_name=commitment.participant_name,
        brand=program_email_brand(commitment.session.program),
        headers=unsubscribe_headers(stream=CHECKIN_STREAM, obj=commitment),
    )
