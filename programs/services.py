"""Writes for programs, modules and hosts. Each runs in one transaction."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from programs import signals
from programs.models import HostInvitation, HostRole, Module, Program, ProgramHost
from programs.ordering import next_position, position_swap
from reminders.services import WantedMessage, outbox_enqueue

PASSWORD_RESET_WINDOW_SECONDS = 300


def hosts_changed(*, program_id: int, now: datetime) -> None:
    """Tell the apps further along that a program's hosts changed (the services here do; the
    admin, which edits ProgramHost rows directly, calls it too)."""
    signals.hosts_changed.send(sender=Program, program_id=program_id, now=now)


@transaction.atomic
def program_create(
    *, owner: User, name: str, description: str = "", time_zone: str = "UTC"
) -> Program:
    program = Program.objects.create(name=name, description=description, time_zone=time_zone)
    ProgramHost.objects.create(program=program, user=owner, role=HostRole.OWNER)
    return program


@transaction.atomic
def program_update(*, program: Program, name: str, description: str, time_zone: str) -> Program:
    program.name = name
    program.description = description
    program.time_zone = time_zone
    program.full_clean()
    program.save(update_fields=["name", "description", "time_zone", "updated_at"])
    return program


@transaction.atomic
def module_create(
    *,
    program: Program,
    title: str,
    description: str = "",
    commitment_days: int = 7,
    is_activated: bool = False,
) -> Module:
    # Lock the program row so two modules added at once do not take the same position.
    Program.objects.select_for_update().filter(pk=program.pk).first()
    return Module.objects.create(
        program=program,
        title=title,
        description=description,
        commitment_days=commitment_days,
        is_activated=is_activated,
        position=next_position(program.modules.all()),
    )


@transaction.atomic
def module_update(
    *, module: Module, title: str, description: str, commitment_days: int, is_activated: bool
) -> Module:
    module.title = title
    module.description = description
    module.commitment_days = commitment_days
    module.is_activated = is_activated
    module.save(
        update_fields=["title", "description", "commitment_days", "is_activated", "updated_at"]
    )
    return module


@transaction.atomic
def module_set_activated(*, module: Module, is_activated: bool) -> Module:
    module.is_activated = is_activated
    module.save(update_fields=["is_activated", "updated_at"])
    return module


def module_move(*, module: Module, direction: str) -> bool:
    """Swap the module with its neighbour above ("up") or below ("down"); False at the edge."""
    return position_swap(
        siblings=Module.objects.filter(program_id=module.program_id),
        pk=module.pk,
        direction=direction,
    )


def _find_user_by_email(email: str) -> User | None:
    return User.objects.filter(email__iexact=email, is_active=True).order_by("id").first()


def account_for_email(email: str) -> User | None:
    """The active account `host_invite` would add at once for this address, if any."""
    return _find_user_by_email(email.strip())


@transaction.atomic
def host_invite(
    *, program: Program, email: str, role: str, invited_by: User, now: datetime
) -> tuple[str, HostInvitation | ProgramHost]:
    """Add a host by e-mail address.

    An address that belongs to an account becomes a host at once and is told so; any other
    address gets an invitation link (re-inviting revokes the earlier link). Returns
    ("added" | "already" | "invited", the role or invitation).
    """
    email = email.strip()
    user = _find_user_by_email(email)
    if user is not None:
        existing = ProgramHost.objects.filter(program=program, user=user).first()
        if existing is not None:
            return "already", existing
        host_role = ProgramHost.objects.create(program=program, user=user, role=role)
        hosts_changed(program_id=program.pk, now=now)
        outbox_enqueue(
            topic=f"program:{program.pk}",
            message=WantedMessage(
                kind="host_added",
                recipient_email=user.email,
                recipient_name=user.get_full_name(),
                dedupe_key=f"program:{program.pk}:host_added:{host_role.pk}",
                due_at=now,
                about=host_role,
                payload={"invited_by": invited_by.get_full_name() or invited_by.email},
            ),
            now=now,
        )
        return "added", host_role

    invitation = (
        HostInvitation.objects.select_for_update()
        .filter(program=program, email__iexact=email, accepted_at__isnull=True)
        .first()
    )
    if invitation is None:
        invitation = HostInvitation.objects.create(
            program=program, email=email, role=role, invited_by=invited_by
        )
    else:
        invitation.token_version += 1
        invitation.role = role
        invitation.invited_by = invited_by
        invitation.save(update_fields=["token_version", "role", "invited_by"])
    outbox_enqueue(
        topic=f"program:{program.pk}",
        message=WantedMessage(
            kind="host_invitation",
            recipient_email=invitation.email,
            dedupe_key=f"invitation:{invitation.pk}:v{invitation.token_version}",
            due_at=now,
            about=invitation,
            schedule_sequence=invitation.token_version,
        ),
        now=now,
    )
    return "invited", invitation


class InvitationClosed(Exception):
    """The invitation was accepted already (or revoked by a newer one)."""


class InvitationForAnotherAccount(Exception):
    """The signed-in account's address is not the one the invitation was sent to."""


def invitation_is_for(*, invitation: HostInvitation, user: User) -> bool:
    return (user.email or "").lower() == invitation.email.lower()


@transaction.atomic
def invitation_accept(*, invitation: HostInvitation, user: User, now: datetime) -> ProgramHost:
    """Make `user` a host of the invitation's program, once, and only for the invited address.

    The checks run under the row lock, so two accepts at once make one host.
    """
    locked = HostInvitation.objects.select_for_update().filter(pk=invitation.pk).first()
    if locked is None or not locked.is_open or locked.token_version != invitation.token_version:
        raise InvitationClosed("This invitation is no longer open.")
    if not invitation_is_for(invitation=locked, user=user):
        raise InvitationForAnotherAccount(
            f"This invitation was sent to {locked.email}; you are signed in as {user.email}."
        )
    host_role, created = ProgramHost.objects.get_or_create(
        program_id=locked.program_id, user=user, defaults={"role": locked.role}
    )
    if created:
        hosts_changed(program_id=locked.program_id, now=now)
    locked.accepted_at = now
    locked.accepted_by = user
    locked.save(update_fields=["accepted_at", "accepted_by"])
    return host_role


@transaction.atomic
def invitation_sign_up_and_accept(
    *, invitation: HostInvitation, name: str, password: str, now: datetime
) -> User:
    """Create the invited person's account and make them a host, or do neither.

    The account is kept only if the invitation is still open under its lock.
    """
    user = host_sign_up(name=name, email=invitation.email, password=password)
    invitation_accept(invitation=invitation, user=user, now=now)
    return user


@transaction.atomic
def host_remove(*, program: Program, host_role: ProgramHost, now: datetime) -> None:
    """Remove a host; the last owner cannot be removed, so a program always has one."""
    if host_role.role == HostRole.OWNER:
        owners = ProgramHost.objects.select_for_update().filter(
            program=program, role=HostRole.OWNER
        )
        if owners.count() <= 1:
            raise ValueError("A program needs at least one owner.")
    host_role.delete()
    hosts_changed(program_id=program.pk, now=now)


@transaction.atomic
def password_reset_request(*, user: User, now: datetime) -> None:
    """Queue a password-reset e-mail; the link is made at send time from the account's state."""
    outbox_enqueue(
        topic=f"user:{user.pk}",
        message=WantedMessage(
            kind="password_reset",
            recipient_email=user.email,
            recipient_name=user.get_full_name(),
            # One e-mail per address per window, however often the form is posted.
            dedupe_key=f"user:{user.pk}:password_reset:{int(now.timestamp() // PASSWORD_RESET_WINDOW_SECONDS)}",
            due_at=now,
            about=user,
            expires_at=None,
        ),
        now=now,
    )


class AccountExists(Exception):
    """An account with this address exists already (two sign-ups at once, a double click)."""


@transaction.atomic
def host_sign_up(*, name: str, email: str, password: str) -> User:
    first_name, _, last_name = name.strip().partition(" ")
    user = User(
        username=email.lower(), email=email, first_name=first_name[:150], last_name=last_name[:150]
    )
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as error:
        raise AccountExists(email) from error
    return user
