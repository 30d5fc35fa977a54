"""Writes for commitments: questions, commitments, check-ins, reminders, reflections."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction

from commitments.models import (
    Answer,
    CheckIn,
    Commitment,
    CommitmentSource,
    Question,
    local_today,
)
from programs.models import Module
from programs.ordering import next_position, position_swap
from programs.questions import answer_snapshot, choices_kept
from reminders.models import Message
from reminders.services import WantedMessage, outbox_enqueue, outbox_reconcile
from sessions_app.models import Session

CREATED_KIND = "commitment_created"
REMINDER_KIND = "commitment_checkin_reminder"
LINK_RESEND_SECONDS = 5 * 60


class CommitmentsClosed(Exception):
    """The session has no module, or its module is not activated."""


class CheckInClosed(Exception):
    """The day is outside the commitment's days, or the participant ended it early."""


class CommitmentEnded(Exception):
    """The commitment is over (its last day has passed, or it was ended early)."""


class ReflectionNotOpen(Exception):
    """The reflection opens on the commitment's last day, or once it was ended early."""


def commitment_topic(commitment: Commitment) -> str:
    return f"commitment:{commitment.pk}"


# Questions ---------------------------------------------------------------------------------


def question_create(
    *, module: Module, text: str, kind: str, choices: str = "", is_required: bool = True
) -> Question:
    with transaction.atomic():
        # The module row locked, as for a session's questions: two added at once take two places.
        Module.objects.select_for_update().filter(pk=module.pk).first()
        return Question.objects.create(
            module=module,
            text=text,
            kind=kind,
            choices=choices_kept(kind=kind, choices=choices),
            is_required=is_required,
            position=next_position(Question.objects.filter(module=module), first_position=1),
        )


def question_update(
    *, question: Question, text: str, kind: str, choices: str = "", is_required: bool = True
) -> Question:
    question.text = text
    question.kind = kind
    question.choices = choices_kept(kind=kind, choices=choices)
    question.is_required = is_required
    question.save(update_fields=["text", "kind", "choices", "is_required", "updated_at"])
    return question


def question_set_archived(*, question: Question, is_archived: bool) -> Question:
    question.is_archived = is_archived
    question.save(update_fields=["is_archived", "updated_at"])
    return question


def question_move(*, question: Question, direction: str) -> bool:
    """Swap with the neighbouring active question; False when already at that end."""
    return position_swap(
        siblings=Question.objects.filter(module_id=question.module_id, is_archived=False),
        pk=question.pk,
        direction=direction,
        first_position=1,
    )


def answers_create(*, commitment: Commitment, answers: Iterable[tuple[Question, str]]) -> None:
    """Keep each answer with its question's text, kind and place as they read now."""
    snapshots = [answer_snapshot(question, value) for question, value in answers]
    Answer.objects.bulk_create(
        Answer(
            commitment=commitment,
            question=snapshot.question,
            question_text=snapshot.text,
            question_kind=snapshot.kind,
            position=snapshot.position,
            value=snapshot.value,
        )
        for snapshot in snapshots
    )


# Commitments -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommitmentMade:
    """What `commitment_create` did: a new commitment, or the link of an earlier one re-sent."""

    commitment: Commitment
    is_new: bool
    is_link_sent: bool


def _active_duplicate(
    *, session: Session, participant_email: str, now: datetime
) -> Commitment | None:
    """The participant's commitment for this session whose last day is not past yet, if any."""
    # A commitment ended early does not block a fresh start.
    candidates = Commitment.objects.filter(
        session=session,
        participant_email__iexact=participant_email,
        ended_early_at__isnull=True,
        # A day's slack either side of UTC; the exact test is in the commitment's own zone.
        ends_on__gte=now.date() - timedelta(days=1),
    ).order_by("-created_at", "-id")
    for candidate in candidates:
        if not candidate.is_finished(now=now):
            return candidate
    return None


def _link_resend(*, commitment: Commitment, now: datetime) -> bool:
    """Queue the personal link again unless one was queued in the last few minutes."""
    last_due_at = (
        Message.objects.filter(topic=commitment_topic(commitment), kind=CREATED_KIND)
        .order_by("-due_at")
        .values_list("due_at", flat=True)
        .first()
    )
    if last_due_at is not None and now - last_due_at < timedelta(seconds=LINK_RESEND_SECONDS):
        return False
    window = int(now.timestamp()) // LINK_RESEND_SECONDS
    outbox_enqueue(
        topic=commitment_topic(commitment),
        message=WantedMessage(
            kind=CREATED_KIND,
            recipient_email=commitment.participant_email,
            recipient_name=commitment.participant_name,
            dedupe_key=f"commitment:{commitment.pk}:link:{window}",
            due_at=now,
            about=commitment,
        ),
        now=now,
    )
    return True


def commitment_create(
    *,
    session: Session,
    participant_name: str,
    participant_email: str,
    time_zone: str,
    answers: Mapping[Question, str],
    now: datetime,
    source: str = CommitmentSource.UNKNOWN,
) -> CommitmentMade:
    """Create a commitment starting today in the participant's zone and e-mail its link.

    The duration is the module's commitment days read now, and the answers keep the question
    text and kind they answered, so later edits to the module change nothing here.

    A second identical commitment (same session, same address in any case, while the first
    is active) creates nothing: the first one's link is e-mailed again, at most once every
    `LINK_RESEND_SECONDS`, so a form posted again and again cannot flood an inbox.

    `source` records how the participant reached the form (`commitments.sources`).
    """
    module = session.module
    if module is None or not module.is_activated:
        raise CommitmentsClosed("Commitments are not open for this session.")
    starts_on = local_today(time_zone=time_zone, now=now)
    with transaction.atomic():
        # Serialises two posts of the same form, so the second finds the first's row.
        Session.objects.select_for_update().filter(pk=session.pk).first()
        existing = _active_duplicate(session=session, participant_email=participant_email, now=now)
        if existing is not None:
            is_link_sent = _link_resend(commitment=existing, now=now)
            return CommitmentMade(commitment=existing, is_new=False, is_link_sent=is_link_sent)
        commitment = Commitment.objects.create(
            session=session,
            module=module,
            participant_name=participant_name,
            participant_email=participant_email,
            time_zone=time_zone,
            starts_on=starts_on,
            duration_days=module.commitment_days,
            ends_on=starts_on + timedelta(days=module.commitment_days - 1),
            source=source,
            created_at=now,
        )
        answers_create(commitment=commitment, answers=answers.items())
        outbox_enqueue(
            topic=commitment_topic(commitment),
            message=WantedMessage(
                kind=CREATED_KIND,
                recipient_email=participant_email,
                recipient_name=participant_name,
                dedupe_key=f"commitment:{commitment.pk}:created",
                due_at=now,
                about=commitment,
            ),
            now=now,
        )
    return CommitmentMade(commitment=commitment, is_new=True, is_link_sent=True)


def checkin_record(
    *,
    commitment: Commitment,
    is_done: bool,
    rating: int | None,
    note: str,
    now: datetime,
) -> CheckIn:
    """Record today's check-in (the day in the participant's zone); a second one edits it."""
    day = commitment.today(now=now)
    if not commitment.includes(day):
        raise CheckInClosed(
            f"Check-ins are open from {commitment.starts_on.day} {commitment.starts_on:%B %Y} "
            f"to {commitment.ends_on.day} {commitment.ends_on:%B %Y}."
        )
    with transaction.atomic():
        # Locking the commitment serialises two check-ins of the same day (two tabs), and a
        # check-in with "End this commitment" in another tab.
        locked = Commitment.objects.select_for_update().get(pk=commitment.pk)
        if locked.ended_early_on is not None:
            raise CheckInClosed(
                f"You ended this commitment on {locked.ended_early_on.day} "
                f"{locked.ended_early_on:%B %Y}, so it takes no more check-ins."
            )
        checkin, created = CheckIn.objects.get_or_create(
            commitment=commitment,
            day=day,
            defaults={
                "is_done": is_done,
                "rating": rating,
                "note": note,
                "created_at": now,
                "updated_at": now,
            },
        )
        if not created:
            checkin.is_done = is_done
            checkin.rating = rating
            checkin.note = note
            checkin.updated_at = now
            checkin.save(update_fields=["is_done", "rating", "note", "updated_at"])
        commitment_reminders_reconcile(commitment=commitment, now=now)
    return checkin


def commitment_set_reminder(
    *, commitment: Commitment, reminder_time: time | None, now: datetime
) -> Commitment:
    with transaction.atomic():
        locked = Commitment.objects.select_for_update().get(pk=commitment.pk)
        if locked.has_ended_early:
            raise CommitmentEnded("You ended this commitment: it sends no more reminders.")
        commitment.reminder_time = reminder_time
        commitment.save(update_fields=["reminder_time"])
        commitment_reminders_reconcile(commitment=commitment, now=now)
    return commitment


def commitment_end_early(*, commitment: Commitment, now: datetime) -> Commitment:
    """Stop the commitment now: no more check-ins, its pending reminders cancelled.

    Refused (`CommitmentEnded`) once it was ended or its last day has passed. The days
    before it keep their check-ins; the reflection stays open.
    """
    with transaction.atomic():
        locked = Commitment.objects.select_for_update().get(pk=commitment.pk)
        if locked.has_ended_early:
            raise CommitmentEnded("You have already ended this commitment.")
        if locked.is_finished(now=now):
            raise CommitmentEnded("This commitment has already finished.")
        commitment.ended_early_at = now
        commitment.save(update_fields=["ended_early_at"])
        # No reminder is wanted once it has ended: this cancels every pending one.
        _reminders_reconcile(commitment=commitment, now=now)
    return commitment


def commitment_reflect(*, commitment: Commitment, reflection: str, now: datetime) -> Commitment:
    if commitment.today(now=now) < commitment.ends_on and not commitment.has_ended_early:
        raise ReflectionNotOpen("The reflection opens on the last day of your commitment.")
    commitment.reflection = reflection
    commitment.reflected_at = now
    commitment.save(update_fields=["reflection", "reflected_at"])
    return commitment


def reminder_due_at(*, commitment: Commitment, day: date) -> datetime:
    """The reminder time on `day` in the participant's zone, as an aware instant.

    A wall time that does not exist that day (skipped by a DST change) resolves to the
    instant after the gap, as zoneinfo does with fold=0.
    """
    assert commitment.reminder_time is not None
    zone = zoneinfo.ZoneInfo(commitment.time_zone)
    return datetime.combine(day, commitment.reminder_time, tzinfo=zone)


def commitment_reminders_wanted(*, commitment: Commitment, now: datetime) -> list[WantedMessage]:
    """One reminder per remaining day without a check-in, at the chosen local time."""
    if commitment.reminder_time is None or commitment.has_ended_early:
        return []
    today = commitment.today(now=now)
    checked_in = set(CheckIn.objects.filter(commitment=commitment).values_list("day", flat=True))
    zone = zoneinfo.ZoneInfo(commitment.time_zone)
    wanted = []
    day = max(today, commitment.starts_on)
    while day <= commitment.ends_on:
        due_at = reminder_due_at(commitment=commitment, day=day)
        if day not in checked_in and due_at > now:
            end_of_day = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
            wanted.append(
                WantedMessage(
                    kind=REMINDER_KIND,
                    recipient_email=commitment.participant_email,
                    recipient_name=commitment.participant_name,
                    dedupe_key=f"commitment:{commitment.pk}:reminder:{day.isoformat()}",
                    due_at=due_at,
                    expires_at=end_of_day,
                    about=commitment,
                    payload={"day": day.isoformat()},
                )
            )
        day += timedelta(days=1)
    return wanted


def commitment_reminders_reconcile(*, commitment: Commitment, now: datetime) -> None:
    """Re-plan the daily reminders; the commitment row is locked, as outbox_reconcile expects."""
    with transaction.atomic():
        Commitment.objects.select_for_update().filter(pk=commitment.pk).first()
        _reminders_reconcile(commitment=commitment, now=now)


def _reminders_reconcile(*, commitment: Commitment, now: datetime) -> None:
    outbox_reconcile(
        topic=commitment_topic(commitment),
        wanted=commitment_reminders_wanted(commitment=commitment, now=now),
        now=now,
        kinds=[REMINDER_KIND],
    )
