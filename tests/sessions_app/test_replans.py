"""Reschedules and cancellations answer the host at once; a background job tells registrants."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reminders.dispatcher import outbox_dispatch
from reminders.models import Message, MessageStatus
from sessions_app import services
from sessions_app.models import Registration, ReplanJob, ReplanStatus, Session, SessionState
from sessions_app.reminders import REGISTRANT_KINDS
from sessions_app.replans import replan_job_step, replan_jobs_resume
from sessions_app.services import CANCELLATION, UPDATE
from tests.factories import hosted_session
from tests.support.replans import replans_run
from tests.support.sessions import session_change

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
STARTS_AT = datetime(2026, 11, 25, 17, 30, tzinfo=UTC)  # 18:30 in Berlin


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def _with_registrations(host, count: int) -> Session:
    session = hosted_session(user=host, starts_at=STARTS_AT, time_zone="Europe/Berlin")
    Registration.objects.bulk_create(
        (
            Registration(session=session, email=f"p{index}@example.org", name=f"Person {index}")
            for index in range(count)
        ),
        batch_size=5000,
    )
    return session


def _reschedule_form(session: Session, *, starts_time: str) -> dict[str, str]:
    return {
        "title": session.title,
        "description": "",
        "module": "",
        "time_zone": "Europe/Berlin",
        "starts_on": "2026-11-26",
        "starts_time": starts_time,
        "duration_minutes": "60",
        "theme": "meeting",
        "is_registration_required": "on",
        "remind_day_before": "on",
        "remind_hour_before": "on",
        "remind_half_hour_before": "on",
        "capacity": "",
        "co_host_emails": "",
    }


def _progress(client: Client, session: Session) -> str:
    response = client.get(
        reverse("sessions_app:replan_progress", kwargs={"session_id": session.pk})
    )
    assert response.status_code == 200
    return response.text


def _status_text(page: str) -> str:
    match = re.search(r'<p id="replan-status"[^>]*>([^<]*)</p>', page)
    assert match, page
    return match.group(1)


def test_the_reschedule_request_costs_the_same_queries_for_20_and_20000_and_the_bar_reaches_done(
    host, host_client: Client
) -> None:
    warm_up, small, large = (_with_registrations(host, count) for count in (1, 20, 20_000))

    def reschedule(session: Session) -> int:
        url = reverse("sessions_app:session_edit", kwargs={"session_id": session.pk})
        with CaptureQueriesContext(connection) as queries:
            response = host_client.post(url, _reschedule_form(session, starts_time="08:15"))
        assert response.status_code == 302, response.content[:2000]
        return len(queries)

    reschedule(warm_up)  # caches filled (content types), as in a running server
    assert reschedule(small) == reschedule(large)
    large.refresh_from_db()
    assert large.sequence == 1
    # Nothing is planned for the registrants yet: the request did not wait for 20,000 rows.
    assert not Message.objects.filter(topic=f"session:{large.pk}", kind=UPDATE).exists()

    def dashboard_queries(session: Session) -> tuple[int, str]:
        url = reverse("sessions_app:dashboard", kwargs={"session_id": session.pk})
        with CaptureQueriesContext(connection) as queries:
            page = host_client.get(url).text
        return len(queries), page

    dashboard_queries(warm_up)
    small_queries, _ = dashboard_queries(small)
    large_queries, page = dashboard_queries(large)
    assert small_queries == large_queries
    assert '<progress value="0" max="20000"' in page
    assert _status_text(page) == "Updating 0 of 20,000 registrants …"
    assert 'hx-trigger="every 2s"' in page

    job = ReplanJob.objects.get(session=large)
    assert replan_job_step(job_id=job.pk) is False
    page = _progress(host_client, large)
    assert _status_text(page) == "Updating 2,000 of 20,000 registrants …"
    assert '<progress value="2000" max="20000"' in page

    replans_run()
    page = _progress(host_client, large)
    assert _status_text(page) == "All registrants have been told."
    assert "hx-trigger" not in page  # done: the page stops polling
    job.refresh_from_db()
    assert (job.status, job.done, job.batches) == (ReplanStatus.DONE, 20_000, 10)
    pending = Message.objects.filter(topic=f"session:{large.pk}", status=MessageStatus.PENDING)
    assert pending.filter(kind=UPDATE, schedule_sequence=1).count() == 20_000
    assert pending.filter(kind=REGISTRANT_KINDS["day"], schedule_sequence=1).count() == 20_000

    # Ten minutes on, the page no longer shows the finished job.
    with time_machine.travel(NOW + timedelta(minutes=11), tick=False):
        dashboard = host_client.get(
            reverse("sessions_app:dashboard", kwargs={"session_id": large.pk})
        )
    assert "replan-progress" not in dashboard.text


def test_the_progress_of_another_hosts_session_is_not_found(host, client: Client) -> None:
    from tests.factories import TEST_PASSWORD, UserFactory

    session = _with_registrations(host, 3)
    stranger = UserFactory()
    assert client.login(username=stranger.email, password=TEST_PASSWORD)
    url = reverse("sessions_app:replan_progress", kwargs={"session_id": session.pk})
    assert client.get(url).status_code == 404


def _registered(host, count: int) -> Session:
    session = hosted_session(user=host, starts_at=STARTS_AT, time_zone="Europe/Berlin")
    for index in range(count):
        services.registration_create(
            session=session, email=f"person{index}@example.org", name=f"Person {index}", now=NOW
        )
    outbox_dispatch()
    mail.outbox = []
    return session


def test_nothing_for_the_old_schedule_goes_out_while_the_job_has_not_reached_a_registrant(
    host,
) -> None:
    session = _registered(host, 3)
    session_change(session, now=NOW, starts_at=STARTS_AT + timedelta(hours=1))  # sequence 1
    session.refresh_from_db()
    # A second move; its job has not run yet (the worker is busy or down).
    session_change(session, now=NOW, starts_at=STARTS_AT + timedelta(hours=2), replan=False)
    old_reminders = Message.objects.filter(
        kind=REGISTRANT_KINDS["day"], schedule_sequence=1, status=MessageStatus.PENDING
    )
    assert old_reminders.count() == 3
    assert Message.objects.filter(kind=UPDATE, schedule_sequence=1, status="pending").count() == 3

    # The day-before reminder of the first move falls due (and, at once, the updates about it).
    with time_machine.travel(STARTS_AT + timedelta(hours=1) - timedelta(days=1), tick=False):
        result = outbox_dispatch()
    assert mail.outbox == []
    assert result.sent == 0
    assert result.cancelled == 6  # three reminders and three updates of sequence 1, refused
    assert not Message.objects.filter(schedule_sequence=1, status=MessageStatus.SENT).exists()

    replans_run()
    outbox_dispatch()
    assert len(mail.outbox) == 3
    for sent in mail.outbox:
        # Nobody heard of the first move: "was" is the schedule of their confirmation.
        assert "Was: Wednesday 25 November 2026, 18:30 to 19:30 Berlin time" in sent.body
        assert "Now: Wednesday 25 November 2026, 20:30 to 21:30 Berlin time" in sent.body
    planned = Message.objects.filter(kind=REGISTRANT_KINDS["day"], status=MessageStatus.PENDING)
    assert planned.filter(schedule_sequence=2).count() == 3


def test_a_newer_reschedule_stops_the_older_job_and_each_registrant_hears_what_changed_for_them(
    host,
) -> None:
    session = _registered(host, 5)
    first = session.registrations.order_by("id")
    session_change(session, now=NOW, starts_at=STARTS_AT + timedelta(hours=1), replan=False)
    older = ReplanJob.objects.get()
    replan_job_step(job_id=older.pk, batch_size=2)  # the first two registrants are told
    outbox_dispatch()
    assert sorted(sent.to[0] for sent in mail.outbox) == [
        f"Person {index} <person{index}@example.org>" for index in range(2)
    ]
    mail.outbox = []

    session.refresh_from_db()
    session_change(session, now=NOW, starts_at=STARTS_AT + timedelta(hours=2), replan=False)
    older.refresh_from_db()
    assert older.status == ReplanStatus.SUPERSEDED
    assert replan_job_step(job_id=older.pk, batch_size=2) is True  # it does nothing more
    assert Message.objects.filter(kind=UPDATE, schedule_sequence=1).count() == 2

    replans_run()
    outbox_dispatch()
    was = {sent.to[0]: re.search(r"Was: (.+)", sent.body).group(1) for sent in mail.outbox}
    told = {f"Person {index} <{first[index].email}>" for index in range(2)}
    assert len(was) == 5
    for recipient, text in was.items():
        expected = "19:30 to 20:30" if recipient in told else "18:30 to 19:30"
        assert expected in text, (recipient, text)
    assert Message.objects.filter(kind=UPDATE, schedule_sequence=2).count() == 5


def test_a_batch_lost_with_its_worker_is_redone_and_a_job_run_twice_plans_once(host) -> None:
    session = _registered(host, 5)
    session_change(session, now=NOW, starts_at=STARTS_AT + timedelta(hours=1), replan=False)
    job = ReplanJob.objects.get()

    class Killed(Exception):
        pass

    # The worker dies before its batch commits: the batch's writes and the cursor go together.
    with pytest.raises(Killed), transaction.atomic():
        replan_job_step(job_id=job.pk, batch_size=3)
        raise Killed
    job.refresh_from_db()
    assert (job.status, job.done, job.cursor_registration_id) == (ReplanStatus.QUEUED, 0, 0)
    assert not Message.objects.filter(kind=UPDATE).exists()

    # Beat queues lost jobs again once they have not moved for two minutes.
    assert replan_jobs_resume(now=NOW + timedelta(seconds=30)) == []
    assert replan_jobs_resume(now=NOW + timedelta(minutes=3)) == [job.pk]

    replans_run()
    ReplanJob.objects.filter(pk=job.pk).update(
        status=ReplanStatus.RUNNING, cursor_registration_id=0
    )
    replans_run()  # delivered twice (a redelivered task): nothing is planned twice
    assert Message.objects.filter(kind=UPDATE, status=MessageStatus.PENDING).count() == 5
    assert (
        Message.objects.filter(kind=REGISTRANT_KINDS["hour"], status=MessageStatus.PENDING).count()
        == 5
    )


def test_cancelling_is_at_once_for_the_session_and_in_the_background_for_registrants(
    host, host_client: Client
) -> None:
    session = _registered(host, 3)
    response = host_client.post(
        reverse("sessions_app:session_cancel", kwargs={"session_id": session.pk})
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.state == SessionState.CANCELLED
    dashboard = host_client.get(response["Location"]).text
    assert _status_text(dashboard) == "Telling 0 of 3 registrants …"

    # The job has not run: a reminder falling due now is refused, not sent.
    with time_machine.travel(STARTS_AT - timedelta(minutes=30), tick=False):
        outbox_dispatch()
    assert mail.outbox == []

    replans_run()
    assert _status_text(_progress(host_client, session)) == "All registrants have been told."
    outbox_dispatch()
    assert len(mail.outbox) == 3
    assert all(sent.subject.startswith("Cancelled:") for sent in mail.outbox)
    assert Message.objects.filter(kind=CANCELLATION, status=MessageStatus.SENT).count() == 3


def test_switching_a_reminder_off_replans_registrants_in_the_background(host) -> None:
    session = _registered(host, 2)
    session_change(session, now=NOW, remind_half_hour_before=False)
    session.refresh_from_db()
    assert session.sequence == 0
    job = ReplanJob.objects.get()
    assert (job.kind, job.status) == ("reminders", ReplanStatus.DONE)
    statuses = Message.objects.filter(kind=REGISTRANT_KINDS["30min"]).values_list(
        "status", flat=True
    )
    assert sorted(statuses) == [MessageStatus.CANCELLED, MessageStatus.CANCELLED]
    assert not Message.objects.filter(kind=UPDATE).exists()


def test_a_session_without_registrants_needs_no_job_and_shows_no_progress(
    host, host_client: Client
) -> None:
    session = _with_registrations(host, 0)
    session_change(session, now=NOW, starts_at=STARTS_AT + timedelta(hours=1), replan=False)
    assert ReplanJob.objects.get().status == ReplanStatus.DONE
    page = host_client.get(reverse("sessions_app:dashboard", kwargs={"session_id": session.pk}))
    assert "replan-progress" not in page.text


def test_a_failed_job_says_how_far_it_got_and_the_admin_lists_it_with_its_error(
    host, host_client: Client
) -> None:
    from sessions_app.replans import replan_job_fail
    from tests.factories import TEST_PASSWORD, UserFactory

    session = _with_registrations(host, 4500)
    session_change(session, now=NOW, starts_at=STARTS_AT + timedelta(hours=1), replan=False)
    job = ReplanJob.objects.get()
    replan_job_step(job_id=job.pk)
    replan_job_fail(
        job_id=job.pk, error="OperationalError('server closed the connection')", now=NOW
    )
    page = _progress(host_client, session)
    assert "This stopped after 2,000 of 4,500 registrants because of an error" in page
    assert "hx-trigger" not in page

    admin = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    assert client.login(username=admin.email, password=TEST_PASSWORD)
    listing = client.get(
        reverse("admin:sessions_app_replanjob_changelist"),
        {"q": "server closed", "status__exact": "failed"},
    )
    assert listing.status_code == 200
    assert session.title in listing.text
    assert "Failed" in listing.text
