"""The admin changes a commitment's reminder time and the module questions through the
services; guest links are regenerated there as from the dashboard."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from commitments.models import Question
from commitments.services import commitment_topic
from guests.models import GuestLink
from guests.services import guest_link_for
from reminders.models import Message, MessageStatus
from tests.factories import CommitmentFactory, ModuleFactory, UserFactory, hosted_session

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def staff() -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_a_reminder_time_set_in_the_admin_plans_the_daily_reminders(staff: Client) -> None:
    commitment = CommitmentFactory(starts_on=date(2026, 11, 20), duration_days=3)
    url = reverse("admin:commitments_commitment_change", args=[commitment.pk])
    assert staff.get(url).status_code == 200
    response = staff.post(
        url,
        {
            "reminder_time": "18:00",
            "answers-TOTAL_FORMS": 0,
            "answers-INITIAL_FORMS": 0,
            "_save": "Save",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    commitment.refresh_from_db()
    assert commitment.reminder_time == time(18, 0)
    due = sorted(
        Message.objects.filter(
            topic=commitment_topic(commitment), status=MessageStatus.PENDING
        ).values_list("due_at", flat=True)
    )
    # 18:00 in Berlin on each of the three days.
    assert due == [datetime(2026, 11, day, 17, 0, tzinfo=UTC) for day in (20, 21, 22)]
    assert staff.get(reverse("admin:commitments_commitment_add")).status_code == 403


def test_a_question_added_in_the_admin_goes_last_in_its_module(staff: Client) -> None:
    module = ModuleFactory()
    Question.objects.create(module=module, text="First", kind="short_text", position=1)
    response = staff.post(
        reverse("admin:commitments_question_add"),
        {
            "module": module.pk,
            "text": "Second",
            "kind": "short_text",
            "choices": "",
            "is_required": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(module.questions.order_by("position").values_list("text", "position")) == [
        ("First", 1),
        ("Second", 2),
    ]


def test_regenerating_a_guest_link_in_the_admin_replaces_it(staff: Client) -> None:
    session = hosted_session()
    guest_link = guest_link_for(session=session)
    response = staff.post(
        reverse("admin:guests_guestlink_changelist"),
        {"action": "regenerate_links", "_selected_action": [guest_link.pk]},
    )
    assert response.status_code == 302
    refreshed = GuestLink.objects.get(pk=guest_link.pk)
    assert refreshed.token_version == guest_link.token_version + 1
    assert refreshed.regenerated_at == NOW
