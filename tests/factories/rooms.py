"""Factories for live rooms (attendance, recordings) and guest links."""

from __future__ import annotations

import factory
from django.utils import timezone

from guests.models import GuestEntry, GuestLink
from sessions_app.models import Attendance, AttendanceRole, AttendanceStatus
from tests.factories.core import SessionFactory

__all__ = ["AttendanceFactory", "GuestEntryFactory", "GuestLinkFactory"]


class AttendanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attendance

    session = factory.SubFactory(SessionFactory)
    participant_key = factory.Sequence(lambda n: f"open:test-{n}")
    role = AttendanceRole.ATTENDEE
    name = factory.Sequence(lambda n: f"Participant {n}")
    status = AttendanceStatus.WAITING
    arrived_at = factory.LazyFunction(timezone.now)
    last_seen_at = factory.LazyFunction(timezone.now)


class GuestLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GuestLink

    session = factory.SubFactory(SessionFactory)


class GuestEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GuestEntry

    guest_link = factory.SubFactory(GuestLinkFactory)
    session = factory.LazyAttribute(lambda entry: entry.guest_link.session)
    name = factory.Sequence(lambda n: f"Guest {n}")
    created_at = factory.LazyFunction(timezone.now)
