"""Demo data for `make run`: a host account and a program with modules. Safe to run again."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from programs.models import Program
from programs.services import module_create, program_create

DEMO_EMAIL = "host@convene.test"
DEMO_PASSWORD = "convene-demo"
DEMO_PROGRAM = "Habits Lab"
DEMO_MODULES = [
    ("Week 1 · Small steps", True, 7),
    ("Week 2 · Keeping going", True, 14),
    ("Week 3 · Making it stick", False, 21),
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
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo host: {DEMO_EMAIL} / password: {DEMO_PASSWORD} (also a Django admin)"
            )
        )
