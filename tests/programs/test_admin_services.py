"""The admin writes hosts, members and rounds through the services, as the host pages do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from programs.models import HostRole, MemberStatus, ProgramHost, Round, RoundState
from programs.rounds import OPT_IN_KIND, round_schedule
from reminders.dispatcher import outbox_dispatch
from reminders.models import Message, MessageStatus
from sessions_app.reminders import HOST_KINDS
from tests.factories import MemberFactory, UserFactory, hosted_program, hosted_session

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


def _pending(**filters: object) -> list[Message]:
    return list(Message.objects.filter(status=MessageStatus.PENDING, **filters))


def _host_reminder_recipients(session) -> set[str]:
    return {
        message.recipient_email
        for message in _pending(topic=f"session:{session.pk}", kind=HOST_KINDS["day"])
    }


def test_a_host_added_in_the_admin_is_told_and_gets_the_session_reminders(staff: Client) -> None:
    session = hosted_session(starts_at=NOW + timedelta(days=5))
    newcomer = UserFactory(email="grace@example.org")
    response = staff.post(
        reverse("admin:programs_programhost_add"),
        {"program": session.program.pk, "user": newcomer.pk, "role": HostRole.HOST},
    )
    assert response.status_code == 302, response.content[:2000]
    assert ProgramHost.objects.filter(program=session.program, user=newcomer).exists()
    assert "grace@example.org" in _host_reminder_recipients(session)
    outbox_dispatch()
    assert [sent.subject for sent in mail.outbox if "grace@example.org" in sent.to[0]] == [
        f"You are now host of {session.program.name} on Convene"
    ]


def test_the_program_page_adds_and_removes_hosts_through_the_services(staff: Client) -> None:
    session = hosted_session(starts_at=NOW + timedelta(days=5))
    program = session.program
    owner_role = program.host_roles.get()
    leaving = UserFactory(email="leaving@example.org")
    leaving_role = ProgramHost.objects.create(program=program, user=leaving, role=HostRole.HOST)
    newcomer = UserFactory(email="new@example.org")
    url = reverse("admin:programs_program_change", args=[program.pk])
    page = staff.get(url)
    assert page.status_code == 200
    data = {
        "name": program.name,
        "description": program.description,
        "time_zone": program.time_zone,
        "brand_name": "",
        "brand_colour": "",
        "start_host_name": "",
        "is_opt_in_enabled": "on",
        "group_size": program.group_size,
        "avoid_repeat_matches": "on",
        "host_roles-TOTAL_FORMS": 2,
        "host_roles-INITIAL_FORMS": 2,
        "host_roles-0-id": owner_role.pk,
        "host_roles-0-program": program.pk,
        "host_roles-1-id": leaving_role.pk,
        "host_roles-1-program": program.pk,
        "host_roles-1-DELETE": "on",
        "host_roles-2-TOTAL_FORMS": 1,
        "host_roles-2-INITIAL_FORMS": 0,
        "host_roles-2-0-user": newcomer.pk,
        "host_roles-2-0-role": HostRole.HOST,
        "host_roles-2-0-program": program.pk,
        "modules-TOTAL_FORMS": 0,
        "modules-INITIAL_FORMS": 0,
        "_save": "Save",
    }
    response = staff.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    hosts = set(program.host_roles.values_list("user__email", flat=True))
    assert hosts == {owner_role.user.email, "new@example.org"}
    recipients = _host_reminder_recipients(session)
    assert "new@example.org" in recipients and "leaving@example.org" not in recipients
    assert _pending(kind="host_added", recipient_email="new@example.org")


def test_the_last_owner_cannot_be_removed_in_the_admin(staff: Client) -> None:
    program = hosted_program()
    owner_role = program.host_roles.get()
    url = reverse("admin:programs_programhost_delete", args=[owner_role.pk])
    response = staff.post(url, {"post": "yes"}, follow=True)
    assert "A program needs at least one owner." in response.text
    assert ProgramHost.objects.filter(pk=owner_role.pk).exists()
    bulk = staff.post(
        reverse("admin:programs_programhost_changelist"),
        {"action": "delete_selected", "_selected_action": [owner_role.pk], "post": "yes"},
        follow=True,
    )
    assert "A program needs at least one owner." in bulk.text
    assert ProgramHost.objects.filter(pk=owner_role.pk).exists()


def _open_round(program) -> Round:
    return round_schedule(
        program=program,
        opt_in_at=NOW,
        match_at=NOW + timedelta(days=3),
        time_zone="UTC",
        now=NOW,
    )


def test_a_member_added_in_the_admin_is_asked_in_the_open_round(staff: Client) -> None:
    program = hosted_program()
    round_ = _open_round(program)
    response = staff.post(
        reverse("admin:programs_member_add"),
        {
            "program": program.pk,
            "email": "ada@example.org",
            "name": "Ada",
            "time_zone": "",
            "category": "",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    assert [message.recipient_email for message in _pending(topic=round_.topic)] == [
        "ada@example.org"
    ]


def test_pausing_a_member_in_the_admin_cancels_their_opt_in(staff: Client) -> None:
    program = hosted_program()
    member = MemberFactory(program=program, email="ada@example.org", name="Ada")
    round_ = _open_round(program)
    assert len(_pending(topic=round_.topic, kind=OPT_IN_KIND)) == 1
    response = staff.post(
        reverse("admin:programs_member_change", args=[member.pk]),
        {"name": "Ada L.", "time_zone": "", "category": "", "status": MemberStatus.PAUSED},
    )
    assert response.status_code == 302, response.content[:2000]
    member.refresh_from_db()
    assert member.status == MemberStatus.PAUSED and member.name == "Ada L."
    assert member.status_changed_at == NOW
    assert _pending(topic=round_.topic) == []


def test_a_duplicate_member_in_the_admin_is_refused_with_the_reason(staff: Client) -> None:
    program = hosted_program()
    MemberFactory(program=program, email="ada@example.org")
    response = staff.post(
        reverse("admin:programs_member_add"),
        {"program": program.pk, "email": "ADA@example.org", "name": "Ada", "time_zone": ""},
        follow=True,
    )
    assert "ADA@example.org is on the roster already." in response.text
    assert program.members.count() == 1


def _moment(value: datetime) -> dict[str, str]:
    return {"0": value.strftime("%Y-%m-%d"), "1": value.strftime("%H:%M:%S")}


def test_a_round_scheduled_in_the_admin_opens_and_asks_members(staff: Client) -> None:
    program = hosted_program()
    MemberFactory(program=program, email="ada@example.org")
    match_at = NOW + timedelta(days=2)
    data = {"program": program.pk, "time_zone": "UTC", "recurrence_weeks": 0}
    data |= {f"opt_in_at_{k}": v for k, v in _moment(NOW).items()}
    data |= {f"match_at_{k}": v for k, v in _moment(match_at).items()}
    response = staff.post(reverse("admin:programs_round_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    round_ = Round.objects.get(program=program)
    assert round_.state == RoundState.OPEN and round_.seed
    assert [message.expires_at for message in _pending(topic=round_.topic)] == [match_at]


def test_moving_and_cancelling_a_round_in_the_admin(staff: Client) -> None:
    program = hosted_program()
    MemberFactory(program=program, email="ada@example.org")
    round_ = _open_round(program)
    later = round_.match_at + timedelta(days=1)
    data = {f"match_at_{k}": v for k, v in _moment(later).items()}
    data |= {f"opt_in_at_{k}": v for k, v in _moment(round_.opt_in_at).items()}
    response = staff.post(reverse("admin:programs_round_change", args=[round_.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    round_.refresh_from_db()
    assert round_.match_at == later and round_.sequence == 1
    assert [message.expires_at for message in _pending(topic=round_.topic)] == [later]

    response = staff.post(
        reverse("admin:programs_round_changelist"),
        {"action": "cancel_rounds", "_selected_action": [round_.pk]},
    )
    assert response.status_code == 302
    round_.refresh_from_db()
    assert round_.state == RoundState.CANCELLED
    assert _pending(topic=round_.topic) == []


@pytest.mark.parametrize("model", ["optin", "match"])
def test_answers_and_groups_are_only_shown_in_the_admin(staff: Client, model: str) -> None:
    assert staff.get(reverse(f"admin:programs_{model}_add")).status_code == 403
    assert staff.get(reverse(f"admin:programs_{model}_changelist")).status_code == 200
