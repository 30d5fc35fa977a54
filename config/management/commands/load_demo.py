"""Demo data for `make run` (in the app at the top of the dependency chain, since it fills every app): a host, a program with modules and sessions, an open co-host invitation. Safe to run again."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from commitments.demo_actionable import load_actionable_demo
from commitments.demo_insights import load_insights_demo
from programs.models import HostInvitation, HostRole, Member, Program, Recurrence, Round
from programs.rounds import round_schedule
from programs.services import host_invite, module_create, program_create
from sessions_app.models import Registration, RegistrationSource, Session
from sessions_app.services import question_create, registration_create, session_create

DEMO_EMAIL = "host@convene.test"
DEMO_PASSWORD = "convene-demo"
DEMO_PROGRAM = "Habits Lab"
DEMO_MODULES = [
    ("Week 1 · Small steps", True, 7),
    ("Week 2 · Keeping going", True, 14),
    ("Week 3 · Making it stick", False, 21),
]
DEMO_ZONE = "Europe/Berlin"
# Invited to co-host the Habits Lab, with no account yet: the invitation is still open.
DEMO_COHOST_EMAIL = "sam@cohost.convene.test"
# (title, days from today, local start time, minutes, registrants)
DEMO_SESSIONS = [
    ("Kick-off: why small steps work", -4, time(18, 0), 60, [("Mia Wagner", "mia@example.org")]),
    (
        "Week 1 check-in",
        2,
        time(18, 30),
        45,
        [("Jonas Becker", "jonas@example.org"), ("Lea Schmidt", "lea@example.org")],
    ),
    ("Week 2 workshop", 9, time(9, 0), 90, [("Noah Fischer", "noah@example.org")]),
]


def _demo_sessions(program: Program, host: User) -> None:
    """Sessions around today (one last week, two ahead), each with a couple of registrations."""
    zone = zoneinfo.ZoneInfo(DEMO_ZONE)
    today = timezone.now().astimezone(zone).date()
    module = program.modules.order_by("position", "id").first()
    now = timezone.now()
    for title, days, at, minutes, people in DEMO_SESSIONS:
        if Session.objects.filter(program=program, title=title).exists():
            continue
        starts_at = datetime.combine(today + timedelta(days=days), at, tzinfo=zone)
        session = session_create(
            program=program,
            created_by=host,
            title=title,
            description="A demo session of the Habits Lab.",
            module=module,
            starts_at=starts_at,
            time_zone=DEMO_ZONE,
            duration_minutes=minutes,
            capacity=20,
        )
        if starts_at <= now:
            # Nobody registers for a past session: record who came, and send nothing.
            Registration.objects.bulk_create(
                Registration(
                    session=session, email=email, name=name, source=RegistrationSource.HOST
                )
                for name, email in people
            )
            continue
        question = question_create(
            session=session, label="What would you like to get out of it?", kind="short_text"
        )
        for name, email in people:
            registration_create(
                session=session,
                email=email,
                name=name,
                now=now,
                answers=[(question, "A habit that sticks")],
            )


DEMO_MEMBERS = [
    ("Ada Lovelace", "ada@members.convene.test", "Europe/London", "Mentors"),
    ("Grace Hopper", "grace@members.convene.test", "America/New_York", "Mentors"),
    ("Alan Turing", "alan@members.convene.test", "Europe/London", ""),
    ("Katherine Johnson", "katherine@members.convene.test", "America/New_York", ""),
    ("Emmy Noether", "emmy@members.convene.test", "Europe/Berlin", ""),
    ("Srinivasa Ramanujan", "srinivasa@members.convene.test", "Asia/Kolkata", ""),
    ("Hedy Lamarr", "hedy@members.convene.test", "", ""),
]


class Command(BaseCommand):
    help = "Create the demo host and program (idempotent) and print the login."

    @transaction.atomic
    def handle(self, *args: Any, **options: object) -> None:
        if not settings.DEMO_DATA_ALLOWED:
            # The demo superuser's password is published in the README.
            raise CommandError(
                "load_demo refuses to run under production settings: it would create a "
                f"superuser ({DEMO_EMAIL}) whose password is published."
            )
        host, created = User.objects.get_or_create(
            username=DEMO_EMAIL,
            defaults={
                "email": DEMO_EMAIL,
                "first_name": "Demo",
                "last_name": "Host",
                "is_staff": True,
            },
        )
        if created:
            host.set_password(DEMO_PASSWORD)
            host.is_superuser = True
            host.save()
        program = Program.objects.filter(name=DEMO_PROGRAM, host_roles__user=host).first()
        if program is None:
            program = program_create(
                owner=host,
                name=DEMO_PROGRAM,
                description="A demo program: three weekly modules with sessions and habit commitments.",
                time_zone="Europe/Berlin",
            )
            for title, is_activated, days in DEMO_MODULES:
                module_create(
                    program=program, title=title, is_activated=is_activated, commitment_days=days
                )
        _demo_sessions(program, host)
        if not HostInvitation.objects.filter(program=program).exists():
            host_invite(
                program=program,
                email=DEMO_COHOST_EMAIL,
                role=HostRole.HOST,
                invited_by=host,
                now=timezone.now(),
            )
        self._load_matching(program=program, host=host)
        load_actionable_demo(program=program, host=host, now=timezone.now())
        load_insights_demo(host=host, now=timezone.now())
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo host: {DEMO_EMAIL} / password: {DEMO_PASSWORD} (also a Django admin)"
            )
        )

    def _load_matching(self, *, program: Program, host: User) -> None:
        """A small roster and a weekly round: opt-in tomorrow, matching in three days at 09:00."""
        for name, email, time_zone, category in DEMO_MEMBERS:
            Member.objects.get_or_create(
                program=program,
                email=email,
                defaults={"name": name, "time_zone": time_zone, "category": category},
            )
        if Round.objects.filter(program=program).exists():
            return
        zone = ZoneInfo(program.time_zone)
        now = timezone.now()
        today = now.astimezone(zone).date()
        nine = time(9, 0)
        round_schedule(
            program=program,
            opt_in_at=datetime.combine(today + timedelta(days=1), nine, tzinfo=zone),
            match_at=datetime.combine(today + timedelta(days=3), nine, tzinfo=zone),
            time_zone=program.time_zone,
            recurrence_weeks=Recurrence.WEEKLY,
            created_by=host,
            now=now,
        )
