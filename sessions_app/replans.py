"""Every registrant's messages of a session, replanned in the background after a change.

A reschedule, a change of the reminder settings or a cancellation is saved in the host's request
(`sessions_app.services`), which raises the session's `sequence` (for a reschedule or a
cancellation), plans the hosts' own reminders and records a `ReplanJob`; a Celery task
(`sessions_app.tasks.replan_session`) then walks the registrations in batches. So the request
costs the same for 20 registrations or 100,000, and the task's memory is one batch's.

Nothing for the old schedule goes out meanwhile: the renderers refuse a message planned for an
older `sequence` (or about a cancelled session, or a reminder switched off) at send time, so a
registrant the task has not reached yet gets nothing wrong, only their new messages a little
later. See docs/background-reschedule.md.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from reminders.models import MessageStatus
from reminders.selectors import messages_about
from reminders.services import WantedMessage, outbox_reconcile
from sessions_app.models import Registration, ReplanJob, ReplanKind, ReplanStatus, Session
from sessions_app.reminders import (
    REGISTRANT_REMINDER_KINDS,
    RegistrationRow,
    registrations_reminders_wanted,
)

UPDATE = "session_update"
CANCELLATION = "session_cancellation"
CONFIRMATION = "session_confirmation"

# A task hands the rest of its job to a fresh task after this long, well inside Celery's limit.
TASK_SECONDS = 60.0
# A job not advanced for this long lost its task (a killed worker, a broker down at commit):
# beat queues it again (`replan_jobs_resume`).
STALE_SECONDS = 120
# The page shows "All registrants have been told" for this long after the job finished.
DONE_SHOWN_FOR = timedelta(minutes=10)

UNFINISHED = (ReplanStatus.QUEUED, ReplanStatus.RUNNING)


def _topic(session_id: int) -> str:
    return f"session:{session_id}"


def _queue(job_id: int) -> None:
    from sessions_app.tasks import replan_session

    replan_session.delay(job_id)


def replan_job_create(
    *,
    session: Session,
    kind: str,
    now: datetime,
    previous_schedule: dict[str, object] | None = None,
) -> ReplanJob:
    """Record the replan of every registrant after a change; the task is queued on commit.

    The caller holds the session's row lock and has saved the change. An unfinished older job
    of the session is superseded (it stops at its next batch); what it had not done yet is
    carried over: the registrants it did not reach last heard of its `previous_schedule`, and
    a change of reminder settings after an unfinished reschedule still sends the updates.
    Registrations made after this moment are not walked: they were planned when they were made.
    """
    older = list(
        ReplanJob.objects.select_for_update()
        .filter(session=session, status__in=UNFINISHED)
        .order_by("-id")
    )
    carried = next((job for job in older if job.kind == ReplanKind.RESCHEDULE), None)
    previous: dict[str, object] = {}
    if kind == ReplanKind.REMINDERS and carried is not None:
        kind, previous = ReplanKind.RESCHEDULE, carried.previous_schedule
    elif kind == ReplanKind.RESCHEDULE:
        previous = {"schedule": previous_schedule or {}}
        if carried is not None:
            previous |= {
                "unreached_after": carried.cursor_registration_id,
                "unreached": carried.previous_schedule,
            }
    if older:
        ReplanJob.objects.filter(pk__in=[job.pk for job in older]).update(
            status=ReplanStatus.SUPERSEDED, finished_at=now, updated_at=now
        )
    counts = session.registrations.aggregate(total=Count("id"), last=Max("id"))
    job = ReplanJob.objects.create(
        session=session,
        kind=kind,
        sequence=session.sequence,
        requested_at=now,
        previous_schedule=previous,
        total=counts["total"],
        last_registration_id=counts["last"] or 0,
    )
    if job.total == 0:
        job.status = ReplanStatus.DONE
        job.finished_at = now
        job.save(update_fields=["status", "finished_at", "updated_at"])
    else:
        # robust: a broker that is down must not turn the saved change into an error page;
        # beat queues the job again (replan_jobs_resume).
        transaction.on_commit(lambda: _queue(job.pk), robust=True)
    return job


def _previous_for(spec: dict[str, object], registration_id: int) -> dict[str, object]:
    """The schedule this registrant last heard of, through the chain of superseded jobs."""
    while True:
        unreached, after = spec.get("unreached"), spec.get("unreached_after")
        if (
            not isinstance(unreached, dict)
            or not isinstance(after, int)
            or registration_id <= after
        ):
            break
        spec = unreached
    schedule = spec.get("schedule")
    return schedule if isinstance(schedule, dict) else {}


def _last_heard(
    rows: list[tuple[int, str, int | None, dict[str, object]]],
) -> dict[int, dict[str, object]]:
    """{registration id: schedule} for registrants who missed an update about an earlier change.

    Each update's payload says what its registrant had last heard of when it was planned. The
    oldest update not sent (pending, or cancelled when the next change came) that is newer than
    the last one sent is the change they never heard of: its `previous` is what they know.
    """
    last_sent: dict[int, int] = {}
    for pk, status, sequence, _ in rows:
        if status == MessageStatus.SENT and sequence is not None:
            last_sent[pk] = max(sequence, last_sent.get(pk, -1))
    missed: dict[int, tuple[int, object]] = {}
    for pk, status, sequence, payload in rows:
        if status == MessageStatus.SENT or sequence is None or sequence <= last_sent.get(pk, -1):
            continue
        if pk not in missed or sequence < missed[pk][0]:
            missed[pk] = (sequence, payload.get("previous"))
    return {pk: previous for pk, (_, previous) in missed.items() if isinstance(previous, dict)}


def _updates_wanted(
    *, session: Session, job: ReplanJob, rows: list[RegistrationRow]
) -> list[WantedMessage]:
    """One update per registrant of the batch, saying what they last heard of."""
    heard = _last_heard(
        messages_about(
            topic=_topic(session.pk),
            kind=UPDATE,
            about_model=Registration,
            about_pks=[row.pk for row in rows],
        )
    )
    return [
        WantedMessage(
            kind=UPDATE,
            recipient_email=row.email,
            recipient_name=row.name,
            dedupe_key=f"session:{session.pk}:update:{session.sequence}:{row.pk}",
            due_at=job.requested_at,
            about_model=Registration,
            about_pk=row.pk,
            schedule_sequence=session.sequence,
            expires_at=session.ends_at,
            payload={"previous": heard.get(row.pk) or _previous_for(job.previous_schedule, row.pk)},
        )
        for row in rows
    ]


def _cancellations_wanted(*, session: Session, rows: list[RegistrationRow]) -> list[WantedMessage]:
    return [
        WantedMessage(
            kind=CANCELLATION,
            recipient_email=row.email,
            recipient_name=row.name,
            dedupe_key=f"session:{session.pk}:cancellation:{row.pk}",
            due_at=session.cancelled_at or timezone.now(),
            about_model=Registration,
            about_pk=row.pk,
            schedule_sequence=session.sequence,
            expires_at=session.ends_at,
        )
        for row in rows
    ]


def _batch_reconcile(*, session: Session, job: ReplanJob, rows: list[RegistrationRow]) -> None:
    """Plan the batch's messages in a constant number of queries, touching no other registrant."""
    if job.kind == ReplanKind.CANCEL:
        wanted = _cancellations_wanted(session=session, rows=rows)
        kinds = [CONFIRMATION, UPDATE, CANCELLATION, *REGISTRANT_REMINDER_KINDS]
    else:
        # Reminders whose moment is after the change are planned even if it passed while the
        # task worked its way here: they go out at once (they expire at the start).
        wanted = registrations_reminders_wanted(
            session=session, registrations=rows, now=job.requested_at
        )
        kinds = list(REGISTRANT_REMINDER_KINDS)
        if job.kind == ReplanKind.RESCHEDULE:
            wanted += _updates_wanted(session=session, job=job, rows=rows)
            kinds.append(UPDATE)
    outbox_reconcile(
        topic=_topic(session.pk),
        wanted=wanted,
        now=timezone.now(),
        kinds=kinds,
        about_model=Registration,
        about_pks=[row.pk for row in rows],
    )


@transaction.atomic
def replan_job_step(*, job_id: int, batch_size: int | None = None) -> bool:
    """Replan the next batch of the job in one transaction; True when nothing is left to do.

    1. Lock the session row (as every change of the session does), then the job's: a newer
       change waits for this batch, and this batch sees a newer change.
    2. A job finished or superseded does nothing.
    3. Take the next `batch_size` (SESSION_REPLAN_BATCH_SIZE) registrations by id after the cursor (keyset pagination, so
       the cost of a batch does not grow with how far the job has got), reconcile their
       messages, and move the cursor in the same transaction: a task killed mid-batch loses the
       batch's writes and the cursor together, and the next run redoes just that batch.
    """
    batch_size = batch_size or settings.SESSION_REPLAN_BATCH_SIZE
    session_id = ReplanJob.objects.filter(pk=job_id).values_list("session_id", flat=True).first()
    session = (
        None
        if session_id is None
        else Session.objects.select_for_update().filter(pk=session_id).first()
    )
    if session is None:  # deleted (in the admin) with its jobs
        return True
    job = ReplanJob.objects.select_for_update().get(pk=job_id)
    if job.is_finished:
        return True
    now = timezone.now()
    if job.status == ReplanStatus.QUEUED:
        job.status = ReplanStatus.RUNNING
        job.started_at = now
    rows = [
        RegistrationRow(*row)
        for row in Registration.objects.filter(
            session_id=session.pk,
            id__gt=job.cursor_registration_id,
            id__lte=job.last_registration_id,
        )
        .order_by("id")
        .values_list("id", "email", "name", "wants_reminders")[:batch_size]
    ]
    if rows:
        _batch_reconcile(session=session, job=job, rows=rows)
        job.cursor_registration_id = rows[-1].pk
        job.done += len(rows)
        job.batches += 1
    is_finished = len(rows) < batch_size or job.cursor_registration_id >= job.last_registration_id
    if is_finished:
        job.status = ReplanStatus.DONE
        job.finished_at = now
        # Registrations removed during the run were never walked: the job is still complete.
        job.done = job.total
    job.error = ""
    job.save()
    return is_finished


def replan_job_run(
    *, job_id: int, max_seconds: float = TASK_SECONDS, batch_size: int | None = None
) -> bool:
    """Batches until the job is done or `max_seconds` have passed; True when done."""
    deadline = time.monotonic() + max_seconds
    while True:
        if replan_job_step(job_id=job_id, batch_size=batch_size):
            return True
        if time.monotonic() >= deadline:
            return False


@transaction.atomic
def replan_job_fail(*, job_id: int, error: str, now: datetime) -> None:
    """The task gave up: the host sees that not everyone was told, the admin sees why."""
    ReplanJob.objects.filter(pk=job_id, status__in=UNFINISHED).update(
        status=ReplanStatus.FAILED, error=error[:2000], finished_at=now, updated_at=now
    )


@transaction.atomic
def replan_jobs_resume(*, now: datetime) -> list[int]:
    """Queue again every unfinished job that has not advanced for `STALE_SECONDS`.

    Its task was lost (a worker killed mid-task, or the broker down when the change was
    committed). Running a job twice at once is safe (each batch locks the session and the job
    and moves the cursor), so this errs on the side of queueing.
    """
    stale = list(
        ReplanJob.objects.select_for_update(skip_locked=True)
        .filter(status__in=UNFINISHED, updated_at__lt=now - timedelta(seconds=STALE_SECONDS))
        .values_list("id", flat=True)
    )
    if stale:
        ReplanJob.objects.filter(pk__in=stale).update(updated_at=now)
        for job_id in stale:
            transaction.on_commit(partial(_queue, job_id), robust=True)
    return stale


def session_replan_shown(*, session: Session, now: datetime) -> ReplanJob | None:
    """The job the session page shows: unfinished, or finished a short while ago (one query)."""
    job = ReplanJob.objects.filter(session=session).order_by("-id").first()
    if job is None or job.total == 0:
        return None
    if (
        job.status == ReplanStatus.DONE
        and job.finished_at
        and job.finished_at < now - DONE_SHOWN_FOR
    ):
        return None
    return job
