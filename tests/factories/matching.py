"""Factories for the roster and matching rounds."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from programs.models import Match, Member, OptIn, OptInAnswer, Round
from tests.factories.core import ProgramFactory

__all__ = ["MatchFactory", "MemberFactory", "OptInFactory", "RoundFactory"]


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    program = factory.SubFactory(ProgramFactory)
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"member{n}@example.org")


class RoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Round

    program = factory.SubFactory(ProgramFactory)
    opt_in_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    match_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=3))
    time_zone = "Europe/Berlin"
    seed = factory.Sequence(lambda n: n)


class OptInFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OptIn

    round = factory.SubFactory(RoundFactory)
    member = factory.SubFactory(MemberFactory)
    answer = OptInAnswer.YES
    answered_at = factory.LazyFunction(timezone.now)
    first_answered_at = factory.LazyAttribute(lambda opt_in: opt_in.answered_at)


class MatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Match
        skip_postgeneration_save = True  # the members hook writes the M2M rows itself

    round = factory.SubFactory(RoundFactory)
    number = factory.Sequence(lambda n: n + 1)

    @factory.post_generation
    def members(self, create: bool, extracted: list[Member] | None, **kwargs: object) -> None:
        if create and extracted:
            self.members.set(extracted)
