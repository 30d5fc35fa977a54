"""Factories for every model; tests build their data here, never by hand-written fixtures."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from programs.models import HostInvitation, HostRole, Module, Program, ProgramHost
from reminders.models import Message
from sessions_app.models import Session

__all__ = [
    "TEST_PASSWORD",
    "HostInvitationFactory",
    "MessageFactory",
    "ModuleFactory",
    "ProgramFactory",
    "ProgramHostFactory",
    "SessionFactory",
    "UserFactory",
    "hosted_program",
]

TEST_PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"host{n}@example.org")
    username = factory.LazyAttribute(lambda user: user.email)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def saved(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.save()


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    name = factory.Sequence(lambda n: f"Program {n}")
    description = "A program for testing."
    time_zone = "Europe/Berlin"


class ProgramHostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgramHost

    program = factory.SubFactory(ProgramFactory)
    user = factory.SubFactory(UserFactory)
    role = HostRole.OWNER


class ModuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Module

    program = factory.SubFactory(ProgramFactory)
    title = factory.Sequence(lambda n: f"Module {n}")
    position = factory.Sequence(lambda n: n)
    is_activated = True
    commitment_days = 7


class HostInvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HostInvitation

    program = factory.SubFactory(ProgramFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.org")
    role = HostRole.HOST


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    program = factory.SubFactory(ProgramFactory)
    title = factory.Sequence(lambda n: f"Session {n}")
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=3))
    time_zone = "Europe/Berlin"
    duration_minutes = 60


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    kind = "test_plain"
    topic = "test:1"
    recipient_email = factory.Sequence(lambda n: f"person{n}@example.org")
    due_at = factory.LazyFunction(timezone.now)
    dedupe_key = factory.Sequence(lambda n: f"test:{n}")


def hosted_program(
    *, user: object | None = None, role: str = HostRole.OWNER, **program_fields: object
) -> Program:
    """A program hosted by `user` (a new host when None)."""
    program = ProgramFactory(**program_fields)
    ProgramHostFactory(program=program, user=user or UserFactory(), role=role)
    return program
