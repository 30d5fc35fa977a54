"""Reminders: a day, an hour and 30 minutes before a session, planned in the outbox.

Whenever a session is created, changed, rescheduled or cancelled, or a registration is made or
cancelled, the planner computes the reminders now wanted and the outbox reconciles them with
what is pending, in bulk. Keys carry the session's `sequence`, so a reschedule cancels every
pending reminder of the old schedule and plans the new one; a reminder already sent for an old
schedule does not stop the new schedule's. A reminder whose moment has passed when it is
planned (somebody registering 20 minutes before the start) is not planned at all, and each
expires at the start, so the dispatcher skips rather than sends one late.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMessage
from django.db.models import Count, Prefetch
from django.urls import reverse
from django.utils import timezone

from programs.branding import program_email_brand
from programs.links import public_url
from programs.models import ProgramHost
from reminders.emails import build_email, email_recipient
from reminders.grouped import GroupedEmail
from reminders.mime import OutboxEmail
from reminders.models import Message
from reminders.registry import NotWanted, register
from reminders.services import (
    ReconcileResult,
    WantedMessage,
    outbox_reconcile,
    outbox_reconcile_topics,
)
from reminders.unsubscribe import ONE_CLICK, unsubscribe_headers, unsubscribe_list_header
from sessions_app.formatting import session_when
from sessions_app.ics import organizer_name, session_public_url
from sessions_app.models import HostReminderSetting, Registration, Session, SessionState
from sessions_app.reminder_moments import DAY_BEFORE, HALF_HOUR_BEFORE, HOUR_BEFORE, reminder_due_at
from sessions_app.tokens import cancel_url, join_url

# Message kind per moment, for registrants and for hosts (who get the day and hour ones).
REGISTRANT_KINDS = {
    DAY_BEFORE: "session_reminder_day",
    HOUR_BEFORE: "session_reminder_hour",
    HALF_HOUR_BEFORE: "session_reminder_30min",
}
HOST_KINDS = {DAY_BEFORE: "host_reminder_day", HOUR_BEFORE: "host_reminder_hour"}
REGISTRANT_REMINDER_KINDS = tuple(REGISTRANT_KINDS.values())
REMINDER_KINDS = (*REGISTRANT_REMINDER_KINDS, *HOST_KINDS.values())
MOMENT_OF_KIND = {
    kind: moment for moments in (REGISTRANT_KINDS, HOST_KINDS) for moment, kind in moments.items()
}
# One click on a reminder's List-Unsubscribe stops that registration's reminders, nothing else
# (the stream is registered in sessions_app.emails, beside the service that stops it).
REMINDERS_STREAM = "session-reminders"
# One click on a host reminder's stops that host's reminders of that program's sessions.
HOST_REMINDERS_STREAM = "host-reminders"
LEAD = {DAY_BEFORE: "tomorrow", HOUR_BEFORE: "in an hour", HALF_HOUR_BEFORE: "in 30 minutes"}


def _topic(session: Session) -> str:
    # The same topic as sessions_app.services.session_topic (which imports this module).
    return f"session:{session.pk}"


def _offset_overrides() -> dict[str, timedelta]:
    return {
        moment: timedelta(seconds=seconds)
        for moment, seconds in settings.SESSION_REMINDER_OFFSETS.items()
    }


def _switched_on(session: Session) -> set[str]:
    switches = {
        DAY_BEFORE: session.remind_day_before,
        HOUR_BEFORE: session.remind_hour_before,
        HALF_HOUR_BEFORE: session.remind_half_hour_before,
    }
    return {moment for moment, is_on in switches.items() if is_on}


def session_reminder_moments(*, session: Session) -> dict[str, datetime]:
    """{moment: due_at} for the reminders this session has switched on."""
    overrides = _offset_overrides()
    return {
        moment: reminder_due_at(
            kind=moment,
            starts_at=session.starts_at,
            time_zone=session.time_zone,
            overrides=overrides,
        )
        for moment in sorted(_switched_on(session))
    }


@dataclass(frozen=True)
class RegistrationRow:
    """What planning needs of a registration, without loading a model instance per row."""

    pk: int
    email: str
    name: str
    wants_reminders: bool = True


def _registrant_wanted(
    *,
    session: Session,
    registrations: list[Registration] | list[RegistrationRow],
    moments: dict[str, datetime],
    now: datetime,
) -> list[WantedMessage]:
    return [
        WantedMessage(
            kind=REGISTRANT_KINDS[moment],
            recipient_email=registration.email,
            recipient_name=registration.name,
            dedupe_key=f"session:{session.pk}:{REGISTRANT_KINDS[moment]}:s{session.sequence}:r{registration.pk}",
            slot=f"session:{session.pk}:{REGISTRANT_KINDS[moment]}:r{registration.pk}",
            due_at=due_at,
            expires_at=session.starts_at,
            about_model=Registration,
            about_pk=registration.pk,
            schedule_sequence=session.sequence,
        )
        for registration in registrations
        if registration.wants_reminders
        for moment, due_at in moments.items()
        if due_at > now
    ]


def _host_recipients(users: Iterable[User]) -> list[User]:
    by_pk = {user.pk: user for user in users}
    return [user for user in by_pk.values() if user.email and user.is_active]


def _hosts_reminded(*, program_id: int, hosts: list[User]) -> list[User]:
    """The hosts who have not turned the program's host reminders off (E-mail settings or the
    reminders' one-click unsubscribe).

    Each gets their setting row here (inserted if missing, in one query), so that the
    renderer finds the row its List-Unsubscribe names without writing.
    """
    if not hosts:
        return []
    HostReminderSetting.objects.bulk_create(
        [HostReminderSetting(program_id=program_id, user_id=user.pk) for user in hosts],
        ignore_conflicts=True,
    )
    off = set(
        HostReminderSetting.objects.filter(
            program_id=program_id,
            user_id__in=[user.pk for user in hosts],
            wants_session_reminders=False,
        ).values_list("user_id", flat=True)
    )
    return [user for user in hosts if user.pk not in off]


def session_host_recipients(*, session: Session) -> list[User]:
    """The program's hosts and the session's co-hosts, once each, who have an address and
    want the program's host reminders."""
    program_hosts = [
        role.user
        for role in ProgramHost.objects.filter(program_id=session.program_id).select_related("user")
    ]
    return _hosts_reminded(
        program_id=session.program_id,
        hosts=_host_recipients([*program_hosts, *session.co_hosts.all()]),
    )


def _host_wanted(
    *, session: Session, hosts: list[User], moments: dict[str, datetime], now: datetime
) -> list[WantedMessage]:
    return [
        WantedMessage(
            kind=HOST_KINDS[moment],
            recipient_email=user.email,
            recipient_name=user.get_full_name(),
            dedupe_key=f"session:{session.pk}:{HOST_KINDS[moment]}:s{session.sequence}:u{user.pk}",
            slot=f"session:{session.pk}:{HOST_KINDS[moment]}:u{user.pk}",
            due_at=due_at,
            expires_at=session.starts_at,
            about=session,
            schedule_sequence=session.sequence,
            payload={"user_id": user.pk},
        )
        for user in hosts
        for moment, due_at in moments.items()
        if moment in HOST_KINDS and due_at > now
    ]


def session_reminders_plan(*, session: Session, now: datetime) -> ReconcileResult:
    """Reconcile every reminder of the session (registrants' and hosts') with what is pending."""
    wanted: list[WantedMessage] = []
    if session.state == SessionState.SCHEDULED:
        moments = session_reminder_moments(session=session)
        registrations = [
            RegistrationRow(*row)
            for row in session.registrations.order_by("id").values_list(
                "id", "email", "name", "wants_reminders"
            )
        ]
        wanted = [
            *_registrant_wanted(
                session=session, registrations=registrations, moments=moments, now=now
            ),
            *_host_wanted(
                session=session,
                hosts=session_host_recipients(session=session),
                moments=moments,
                now=now,
            ),
        ]
    return outbox_reconcile(topic=_topic(session), wanted=wanted, now=now, kinds=REMINDER_KINDS)


def session_host_reminders_plan(*, session: Session, now: datetime) -> ReconcileResult:
    """Reconcile the hosts' reminders of the session only (a handful of rows), in the request
    that changed it; the registrants' are replanned in the background (sessions_app.replans).

    Narrowed to the messages about the session itself, so the outbox finds them on its
    (content type, object id) index instead of reading every message of the topic.
    """
    wanted: list[WantedMessage] = []
    if session.state == SessionState.SCHEDULED:
        wanted = _host_wanted(
            session=session,
            hosts=session_host_recipients(session=session),
            moments=session_reminder_moments(session=session),
            now=now,
        )
    return outbox_reconcile(
        topic=_topic(session), wanted=wanted, now=now, kinds=HOST_KINDS.values(), about=session
    )


def program_host_reminders_plan(*, program_id: int, now: datetime) -> ReconcileResult:
    """Reconcile the host reminders of the program's upcoming sessions: its hosts changed, or
    one of them turned the program's host reminders off or on.

    Called on `programs.signals.hosts_changed` (programs does not import
    sessions_app), so a host added to a program gets the reminders of its upcoming sessions at
    once and a host removed loses them (unless a co-host of the session). The sessions are
    locked in id order, as a whole-session reconcile locks its one session; then one reconcile
    spans their topics, so the queries do not grow with the number of sessions.
    """
    sessions = list(
        Session.objects.select_for_update(of=("self",))
        .filter(program_id=program_id, state=SessionState.SCHEDULED, starts_at__gt=now)
        .prefetch_related("co_hosts")
        .order_by("id")
    )
    if not sessions:
        return ReconcileResult()
    program_hosts = [
        role.user
        for role in ProgramHost.objects.filter(program_id=program_id).select_related("user")
    ]
    reminded = {
        user.pk
        for user in _hosts_reminded(
            program_id=program_id,
            hosts=_host_recipients(
                [*program_hosts, *(user for session in sessions for user in session.co_hosts.all())]
            ),
        )
    }
    return outbox_reconcile_topics(
        wanted_by_topic={
            _topic(session): _host_wanted(
                session=session,
                hosts=[
                    user
                    for user in _host_recipients([*program_hosts, *session.co_hosts.all()])
                    if user.pk in reminded
                ],
                moments=session_reminder_moments(session=session),
                now=now,
            )
            for session in sessions
        },
        now=now,
        kinds=HOST_KINDS.values(),
    )


def registrations_reminders_wanted(
    *, session: Session, registrations: list[Registration] | list[RegistrationRow], now: datetime
) -> list[WantedMessage]:
    """The reminders these registrants should have now (none unless the session is scheduled).

    Reconcile them with `kinds=REGISTRANT_REMINDER_KINDS` and `abouts=registrations`, so that no
    other registration's reminders are touched.
    """
    if session.state != SessionState.SCHEDULED:
        return []
    moments = session_reminder_moments(session=session)
    return _registrant_wanted(
        session=session, registrations=registrations, moments=moments, now=now
    )


def registration_reminders_plan(
    *, session: Session, registration: Registration, now: datetime
) -> ReconcileResult:
    """Reconcile one registration's reminders, touching no other registration's."""
    return outbox_reconcile(
        topic=_topic(session),
        wanted=registrations_reminders_wanted(
            session=session, registrations=[registration], now=now
        ),
        now=now,
        kinds=REGISTRANT_REMINDER_KINDS,
        about=registration,
    )


def _check_still_wanted(*, message: Message, session: Session) -> str:
    """The moment of a reminder that should still go out; NotWanted otherwise."""
    if session.is_cancelled:
        raise NotWanted("the session was cancelled", cancelled=True)
    if session.state != SessionState.SCHEDULED:
        # A host may start a session early (or end it): "starts in an hour" would be wrong now.
        raise NotWanted(f"the session is {session.get_state_display().lower()} already")
    if message.schedule_sequence != session.sequence:
        raise NotWanted("planned for an earlier schedule of the session", cancelled=True)
    moment = MOMENT_OF_KIND[message.kind]
    if moment not in _switched_on(session):
        raise NotWanted("the host switched this reminder off", cancelled=True)
    if timezone.now() >= session.starts_at:
        raise NotWanted("the session has started")
    return moment


def _render_registrant_reminder(message: Message) -> GroupedEmail:
    """Grouped per session and kind: the dispatcher renders the templates once for all."""
    registration = message.about
    if not isinstance(registration, Registration):
        raise NotWanted("the registration was cancelled", cancelled=True)
    if not registration.wants_reminders:
        raise NotWanted("the registrant unsubscribed from reminders", cancelled=True)
    session = registration.session
    moment = _check_still_wanted(message=message, session=session)
    kind = message.kind
    # The times are written in the registrant's zone (the one their registration page showed).
    zone = registration.time_zone

    def build(values: Mapping[str, str]) -> OutboxEmail:
        return build_email(
            template=kind,
            context={
                "session": session,
                "program": session.program,
                "recipient_name": values["name"],
                "when": session_when(session, viewer_zone=zone),
                "lead": LEAD[moment],
                "host_name": organizer_name(session),
                "join_url": values["join_url"],
                "cancel_url": values["cancel_url"],
                "session_url": session_public_url(session),
            },
            to=values["to"],
            brand=program_email_brand(session.program),
            headers={
                "List-Unsubscribe": values["list_unsubscribe"],
                "List-Unsubscribe-Post": ONE_CLICK,
            },
        )

    return GroupedEmail(
        # Every registration of the batch holds the same Session instance (and program); one
        # group per zone the times are written in.
        group=(kind, session.pk, zone),
        values={
            "name": registration.name,
            "to": email_recipient(registration.name, registration.email),
            "join_url": join_url(registration),
            "cancel_url": cancel_url(registration),
            "list_unsubscribe": unsubscribe_list_header(stream=REMINDERS_STREAM, obj=registration),
        },
        build=build,
    )


def _render_host_reminder(message: Message) -> EmailMessage:
    session = message.about
    if not isinstance(session, Session):
        raise NotWanted("the session was deleted", cancelled=True)
    moment = _check_still_wanted(message=message, session=session)
    # The hosts and co-hosts come with the batch (`_sessions_for_rendering`): no query here.
    hosts = _host_recipients(
        [role.user for role in session.program.host_roles.all()] + list(session.co_hosts.all())
    )
    user = next((host for host in hosts if host.pk == message.payload.get("user_id")), None)
    if user is None:
        raise NotWanted("no longer hosts this session", cancelled=True)
    setting = _host_reminder_setting(session=session, user=user)
    if not setting.wants_session_reminders:
        raise NotWanted("the host turned this program's host reminders off", cancelled=True)
    return build_email(
        template=message.kind,
        context={
            "session": session,
            "program": session.program,
            "host": user,
            "when": session_when(session),
            "lead": LEAD[moment],
            "registration_count": session.registration_count,  # type: ignore[attr-defined]  # annotated by _sessions_for_rendering
            "dashboard_url": public_url(
                reverse("sessions_app:dashboard", kwargs={"session_id": session.pk})
            ),
            "settings_url": public_url(reverse("sessions_app:email_settings")),
        },
        to_email=message.recipient_email,
        to_name=message.recipient_name,
        headers=unsubscribe_headers(stream=HOST_REMINDERS_STREAM, obj=setting),
    )


def _host_reminder_setting(*, session: Session, user: User) -> HostReminderSetting:
    """The host's setting for the session's program: loaded with the batch, or (for a reminder
    planned before settings existed) made now."""
    found = next(
        (
            setting
            for setting in session.program.host_reminder_settings.all()
            if setting.user_id == user.pk
        ),
        None,
    )
    if found is None:
        found, _ = HostReminderSetting.objects.get_or_create(program=session.program, user=user)
    return found


def registrations_for_rendering():
    """What every registrant e-mail reads, loaded with the batch (see reminders.registry).

    The session, its program and creator are prefetched, not joined: a batch of 200 e-mails
    about one session then shares one Session instance instead of building 200.
    """
    return Registration.objects.prefetch_related("session__program", "session__created_by")


def _sessions_for_rendering():
    """What host reminders read, loaded with the batch: hosts, co-hosts, registrations count."""
    return (
        Session.objects.select_related("program", "created_by")
        .prefetch_related(
            Prefetch("program__host_roles", ProgramHost.objects.select_related("user")),
            "program__host_reminder_settings",
            "co_hosts",
        )
        .annotate(registration_count=Count("registrations"))
    )


for _kind in REGISTRANT_KINDS.values():
    register(_kind, about_queryset=registrations_for_rendering)(_render_registrant_reminder)
for _kind in HOST_KINDS.values():
    register(_kind, about_queryset=_sessions_for_rendering)(_render_host_reminder)
