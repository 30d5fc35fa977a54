"""Demo data for `make run`: a host account and a program with modules. Safe to run again."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from programs.models import Member, Program, Recurrence, Round
from programs.rounds import round_schedule
from programs.services import module_create, program_create

DEMO_EMAIL = "host@convene.test"
DEMO_PASSWORD = "convene-demo"
DEMO_PROGRAM = "Habits Lab"
DEMO_MODULES = [
    ("Week 1 · Small steps", True, 7),
    ("Week 2 · Keeping going", True, 14),
    ("Week 3 · Making it stick", False, 21),
]
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
    def handle(self, *args: object, **options: object) -> None:
        user_model = get_user_model()
        host, created = user_model.objects.get_or_create(
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
        self._load_matching(program=program, host=host)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo host: {DEMO_EMAIL} / password: {DEMO_PASSWORD} (also a Django admin)"
            )
        )

    def _load_matching(self, *, program: Program, host: object) -> None:
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
