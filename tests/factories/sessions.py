"""Factories for registrations and registration questions (SessionFactory is in core)."""

from __future__ import annotations

import factory

from sessions_app.models import QuestionKind, Registration, RegistrationQuestion, Session
from tests.factories.core import SessionFactory, UserFactory, hosted_program

__all__ = ["RegistrationFactory", "RegistrationQuestionFactory", "hosted_session"]


class RegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Registration

    session = factory.SubFactory(SessionFactory)
    email = factory.Sequence(lambda n: f"attendee{n}@example.org")
    name = factory.Sequence(lambda n: f"Attendee {n}")


class RegistrationQuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RegistrationQuestion

    session = factory.SubFactory(SessionFactory)
    label = factory.Sequence(lambda n: f"Question {n}?")
    kind = QuestionKind.SHORT_TEXT
    position = factory.Sequence(lambda n: n)


def hosted_session(*, user: object | None = None, **session_fields: object) -> Session:
    """A session of a program hosted by `user` (a new host when None)."""
    program = hosted_program(user=user or UserFactory())
    return SessionFactory(program=program, **session_fields)
