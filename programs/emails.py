"""The e-mails programs send, each rendered from current state when the dispatcher sends it."""

from __future__ import annotations

from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from programs.links import public_url
from programs.models import HostInvitation, ProgramHost
from reminders.emails import build_email
from reminders.models import Message
from reminders.registry import NotWanted, register
from reminders.tokens import token_make

INVITATION_TOKEN_PURPOSE = "host-invitation"


def invitation_url(invitation: HostInvitation) -> str:
    token = token_make(
        purpose=INVITATION_TOKEN_PURPOSE, object_id=invitation.pk, version=invitation.token_version
    )
    return public_url(reverse("programs:invitation", kwargs={"token": token}))


@register("host_invitation")
def render_host_invitation(message: Message) -> EmailMessage:
    invitation = message.about
    if not isinstance(invitation, HostInvitation) or not invitation.is_open:
        raise NotWanted("the invitation was accepted or withdrawn", cancelled=True)
    if invitation.token_version != message.schedule_sequence:
        raise NotWanted("a newer invitation was sent", cancelled=True)
    inviter = invitation.invited_by
    return build_email(
        template="host_invitation",
        context={
            "program": invitation.program,
            "role": invitation.get_role_display(),
            "inviter_name": (inviter.get_full_name() or inviter.email) if inviter else "A host",
            "accept_url": invitation_url(invitation),
        },
        to_email=invitation.email,
    )


@register("host_added")
def render_host_added(message: Message) -> EmailMessage:
    host_role = message.about
    if not isinstance(host_role, ProgramHost):
        raise NotWanted("the host was removed again", cancelled=True)
    program = host_role.program
    return build_email(
        template="host_added",
        context={
            "program": program,
            "role": host_role.get_role_display(),
            "inviter_name": message.payload.get("invited_by", "A host"),
            "overview_url": public_url(
                reverse("programs:overview", kwargs={"program_id": program.pk})
            ),
        },
        to_email=message.recipient_email,
        to_name=message.recipient_name,
    )


@register("password_reset")
def render_password_reset(message: Message) -> EmailMessage:
    user = message.about
    if user is None or not user.is_active:
        raise NotWanted("the account is gone or inactive", cancelled=True)
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return build_email(
        template="password_reset",
        context={"user": user, "reset_url": public_url(path)},
        to_email=user.email,
        to_name=user.get_full_name(),
    )
