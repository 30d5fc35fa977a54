"""Factories for the commitments app."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from commitments.models import Answer, CheckIn, Commitment, Question, QuestionKind
from tests.factories.core import ModuleFactory, SessionFactory

__all__ = ["AnswerFactory", "CheckInFactory", "CommitmentFactory", "QuestionFactory"]


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    module = factory.SubFactory(ModuleFactory)
    text = factory.Sequence(lambda n: f"Question {n}?")
    kind = QuestionKind.SHORT_TEXT
    is_required = True
    position = factory.Sequence(lambda n: n + 1)


class CommitmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commitment

    module = factory.SubFactory(ModuleFactory)
    session = factory.SubFactory(
        SessionFactory,
        program=factory.SelfAttribute("..module.program"),
        module=factory.SelfAttribute("..module"),
    )
    participant_name = factory.Faker("name")
    participant_email = factory.Sequence(lambda n: f"participant{n}@example.org")
    time_zone = "Europe/Berlin"
    starts_on = factory.LazyFunction(lambda: timezone.localdate())
    duration_days = 7
    ends_on = factory.LazyAttribute(lambda c: c.starts_on + timedelta(days=c.duration_days - 1))
    created_at = factory.LazyFunction(timezone.now)


class AnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Answer

    commitment = factory.SubFactory(CommitmentFactory)
    question = factory.SubFactory(
        QuestionFactory, module=factory.SelfAttribute("..commitment.module")
    )
    question_text = factory.LazyAttribute(lambda a: a.question.text)
    question_kind = factory.LazyAttribute(lambda a: a.question.kind)
    value = "An answer"


class CheckInFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CheckIn

    commitment = factory.SubFactory(CommitmentFactory)
    day = factory.LazyAttribute(lambda c: c.commitment.starts_on)
    is_done = True
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.LazyFunction(timezone.now)
