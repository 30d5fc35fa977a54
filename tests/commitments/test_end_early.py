"""Ending a commitment early: confirmation, reminders cancelled, no more check-ins, hosts see it."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from commitments.models import CheckIn, Commitment
from commitments.services import REMINDER_KIND, commitment_create, commitment_set_reminder
from reminders.dispatcher import outbox_dispatch
from reminders.models import Message, MessageStatus
from tests.factories import (
    CheckInFactory,
    CommitmentFactory,
    ModuleFactory,
    SessionFactory,
    hosted_program,
)
from tests.support.commitments import client_for_commitment

pytestmark = pytest.mark.django_db

STARTS_ON = date(2026, 6, 1)
# 07:00 in Berlin on the second day.
DAY_TWO_MORNING = datetime(2026, 6, 2, 5, tzinfo=UTC)


def _commitment(**fields: object) -> Commitment:
    return CommitmentFactory(
        starts_on=STARTS_ON,
        duration_days=5,
        ends_on=STARTS_ON + timedelta(days=4),
        time_zone="Europe/Berlin",
        **fields,
    )


def _statuses(commitment: Commitment) -> dict[str, str]:
    return {
        message.payload["day"]: message.status
        for message in Message.objects.filter(
            topic=f"commitment:{commitment.pk}", kind=REMINDER_KIND
        )
    }


def test_the_confirmation_page_changes_nothing() -> None:
    commitment = _commitment()
    commitment_set_reminder(commitment=commitment, reminder_time=time(20), now=DAY_TWO_MORNING)
    client = client_for_commitment(commitment)
    with time_machine.travel(DAY_TWO_MORNING, tick=False):
        page = client.get(f"/commitments/{commitment.pk}/").content.decode()
        assert f'href="/commitments/{commitment.pk}/end/"' in page
        response = client.get(f"/commitments/{commitment.pk}/end/")
    assert response.status_code == 200
    assert "End this commitment?" in response.content.decode()
    assert 'name="csrfmiddlewaretoken"' in response.content.decode()
    commitment.refresh_from_db()
    assert commitment.ended_early_at is None
    assert set(_statuses(commitment).values()) == {MessageStatus.PENDING}


def test_ending_cancels_pending_reminders_and_none_goes_out_afterwards() -> None:
    commitment = _commitment()
    commitment_set_reminder(commitment=commitment, reminder_time=time(20), now=DAY_TWO_MORNING)
    assert _statuses(commitment) == dict.fromkeys(
        ["2026-06-02", "2026-06-03", "2026-06-04", "2026-06-05"], MessageStatus.PENDING
    )
    client = client_for_commitment(commitment)
    with time_machine.travel(DAY_TWO_MORNING, tick=False):
        page = client.post(f"/commitments/{commitment.pk}/end/", follow=True).content.decode()
    assert "Your commitment has ended" in page
    commitment.refresh_from_db()
    assert commitment.ended_early_at == DAY_TWO_MORNING
    assert set(_statuses(commitment).values()) == {MessageStatus.CANCELLED}
    # Each evening at 20:00 in Berlin passes without an e-mail.
    for day in range(2, 6):
        with time_machine.travel(datetime(2026, 6, day, 18, 1, tzinfo=UTC), tick=False):
            outbox_dispatch()
    assert mail.outbox == []


def test_the_page_says_it_ended_and_offers_no_check_in() -> None:
    commitment = _commitment()
    CheckInFactory(commitment=commitment, day=STARTS_ON, is_done=True)
    client = client_for_commitment(commitment)
    with time_machine.travel(DAY_TWO_MORNING, tick=False):
        client.post(f"/commitments/{commitment.pk}/end/")
        page = client.get(f"/commitments/{commitment.pk}/").content.decode()
    assert "You ended this commitment" in page
    assert "Ended early on 2 June" in page
    assert page.count('class="day done') == 1
    assert page.count('class="day ended') == 3
    assert "Today's check-in" not in page
    assert reverse("commitments:checkin", kwargs={"commitment_id": commitment.pk}) not in page
    assert reverse("commitments:reminder", kwargs={"commitment_id": commitment.pk}) not in page
    assert f'href="/commitments/{commitment.pk}/end/"' not in page


def test_a_check_in_after_ending_is_refused_with_a_message() -> None:
    commitment = _commitment()
    client = client_for_commitment(commitment)
    with time_machine.travel(DAY_TWO_MORNING, tick=False):
        client.post(f"/commitments/{commitment.pk}/end/")
        response = client.post(
            f"/commitments/{commitment.pk}/check-in/", {"is_done": "yes"}, follow=True
        )
        again = client.post(f"/commitments/{commitment.pk}/end/", follow=True)
    assert "You ended this commitment on 2 June 2026, so it takes no more check-ins." in (
        response.content.decode()
    )
    assert not CheckIn.objects.exists()
    assert "You have already ended this commitment." in again.content.decode()


def test_another_persons_link_cannot_end_it() -> None:
    commitment = _commitment()
    other = _commitment()
    client = client_for_commitment(other)
    with time_machine.travel(DAY_TWO_MORNING, tick=False):
        confirm = client.get(f"/commitments/{commitment.pk}/end/")
        response = client.post(f"/commitments/{commitment.pk}/end/")
        anonymous = Client().post(f"/commitments/{commitment.pk}/end/")
    assert (confirm.status_code, response.status_code, anonymous.status_code) == (404, 404, 404)
    commitment.refresh_from_db()
    assert commitment.ended_early_at is None


def test_the_end_form_is_csrf_protected() -> None:
    commitment = _commitment()
    client = client_for_commitment(commitment)
    client.handler.enforce_csrf_checks = True
    with time_machine.travel(DAY_TWO_MORNING, tick=False):
        response = client.post(f"/commitments/{commitment.pk}/end/")
    assert response.status_code == 403
    commitment.refresh_from_db()
    assert commitment.ended_early_at is None


def test_a_finished_commitment_cannot_be_ended_early() -> None:
    commitment = _commitment()
    client = client_for_commitment(commitment)
    with time_machine.travel(datetime(2026, 6, 8, 9, tzinfo=UTC), tick=False):
        assert (
            "already finished" in client.get(f"/commitments/{commitment.pk}/end/").content.decode()
        )
        page = client.post(f"/commitments/{commitment.pk}/end/", follow=True).content.decode()
    assert "This commitment has already finished." in page
    commitment.refresh_from_db()
    assert commitment.ended_early_at is None


def test_a_commitment_ended_early_does_not_block_a_new_one() -> None:
    commitment = _commitment(participant_email="ada@example.org")
    client = client_for_commitment(commitment)
    with time_machine.travel(DAY_TWO_MORNING, tick=False):
        client.post(f"/commitments/{commitment.pk}/end/")
    made = commitment_create(
        session=commitment.session,
        participant_name="Ada",
        participant_email="ADA@example.org",
        time_zone="Europe/Berlin",
        answers={},
        now=DAY_TWO_MORNING + timedelta(hours=1),
    )
    assert made.is_new
    assert made.commitment.pk != commitment.pk


def test_hosts_see_the_ended_commitment_in_the_list_and_the_csv(host_client: Client, host) -> None:
    program = hosted_program(user=host)
    module = ModuleFactory(program=program, is_activated=True)
    session = SessionFactory(program=program, module=module)
    ended = _commitment(session=session, module=module, participant_name="Stopped Early")
    _commitment(session=session, module=module, participant_name="Still Going")
    with time_machine.travel(DAY_TWO_MORNING, tick=False):
        client_for_commitment(ended).post(f"/commitments/{ended.pk}/end/")
        url = f"/commitments/programs/{program.pk}/sessions/{session.pk}/"
        page = host_client.get(url).content.decode()
        response = host_client.get(f"{url}?format=csv")
    assert "<strong>ended early</strong> on 2 Jun, day 2" in page
    assert "(day 2)" in page
    rows = {
        row["name"]: row
        for row in csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))
    }
    assert rows["Stopped Early"]["status"] == "ended_early"
    assert rows["Stopped Early"]["ended_early_at_utc"] == "2026-06-02 05:00"
    assert rows["Still Going"]["status"] == "active"
    assert rows["Still Going"]["ended_early_at_utc"] == ""


def test_a_reminder_of_a_commitment_ended_elsewhere_is_not_sent() -> None:
    commitment = _commitment()
    commitment_set_reminder(commitment=commitment, reminder_time=time(20), now=DAY_TWO_MORNING)
    # Ended behind the planner's back (the admin): the renderer still refuses at send time.
    Commitment.objects.filter(pk=commitment.pk).update(ended_early_at=DAY_TWO_MORNING)
    with time_machine.travel(datetime(2026, 6, 2, 18, 1, tzinfo=UTC), tick=False):
        outbox_dispatch()
    assert mail.outbox == []
    assert _statuses(commitment)["2026-06-02"] == MessageStatus.CANCELLED
