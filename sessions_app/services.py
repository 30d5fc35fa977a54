"""Writes for sessions and registrations. Each runs in one transaction.

Every e-mail is planned in the outbox under the topic `session:<id>` with
`schedule_sequence = session.sequence`; the renderers in `sessions_app.emails` build it from
the current state when the dispatcher sends it.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.db.models import Value
from django.db.models.functions import Lower
from django.utils import timezone

from programs.models import Module, Program
from programs.ordering import next_position
from programs.questions import answer_snapshot
from reminders.models import MessageStatus
from reminders.selectors import about_unsent_or_sent_since
from reminders.services import WantedMessage, outbox_enqueue, outbox_reconcile
from sessions_app import codes, lifecycle, rooms, signals
from sessions_app.lifecycle import Move
from sessions_app.models import (
    CalendarFeed,
    HostReminderSetting,
    Registration,
    RegistrationAnswer,
    RegistrationQuestion,
    RegistrationSource,
    ReplanKind,
    Session,
    WaitlistAnswer,
    WaitlistEntry,
)
from sessions_app.reminders import (
    REGISTRANT_REMINDER_KINDS,
    REMINDER_KINDS,
    program_host_reminders_plan,
    registration_reminders_plan,
    registrations_reminders_wanted,
    session_host_reminders_plan,
    session_reminders_plan,
)
from sessions_app.replans import CANCELLATION, CONFIRMATION, UPDATE, replan_job_create
from sessions_app.selectors import waitlist_place

SESSION_KINDS = (CONFIRMATION, UPDATE, CANCELLATION)
# "You're on the waitlist, number N": about the WaitlistEntry, while it waits.
WAITLISTED = "session_waitlisted"
# The session those waiting wait for moved, or was cancelled: they are told too.
WAITLIST_MOVED = "session_waitlist_moved"
WAITLIST_CANCELLED = "session_waitlist_cancelled"
WAITLIST_KINDS = (WAITLISTED, WAITLIST_MOVED, WAITLIST_CANCELLED)

CODE_ATTEMPTS = 8
# A person who registers again gets the confirmation again, at most once per window, so that
# the public form cannot be used to flood somebody's inbox.
RESEND_WINDOW_SECONDS = 300


class RegistrationRefused(Exception):
    """The session takes no (more) registrations; the message says why, for the page."""


class SessionFull(RegistrationRefused):
    pass


class RegistrationClosed(RegistrationRefused):
    pass


class ScheduleError(ValueError):
    """A change the session cannot take (cancel a session that is over, and so on)."""


class WaitlistClosed(ValueError):
    """The session is cancelled: the people on its waitlist were told, and it stays as it was."""

    def __init__(self) -> None:
        super().__init__(
            "This session is cancelled, so its waitlist is closed: the people on it were told."
        )


def _waitlist_session_locked(entry: WaitlistEntry) -> Session | None:
    """The entry's session, locked; `WaitlistClosed` if it is cancelled."""
    session = Session.objects.select_for_update().filter(pk=entry.session_id).first()
    if session is not None and session.is_cancelled:
        raise WaitlistClosed
    return session


def session_topic(session: Session) -> str:
    return f"session:{session.pk}"


@dataclass(frozen=True)
class NewQuestion:
    """A registration question set on the create form (`QuestionForm`'s cleaned fields)."""

    label: str
    kind: str
    choices: str = ""
    is_required: bool = False


@transaction.atomic
def session_create(
    *,
    program: Program,
    created_by: User,
    title: str,
    starts_at: datetime,
    time_zone: str,
    duration_minutes: int = 60,
    description: str = "",
    module: Module | None = None,
    theme: str = "meeting",
    is_registration_required: bool = True,
    capacity: int | None = None,
    has_waitlist: bool = False,
    remind_day_before: bool = True,
    remind_hour_before: bool = True,
    remind_half_hour_before: bool = True,
    co_hosts: Iterable[User] = (),
    questions: Sequence[NewQuestion] = (),
    now: datetime | None = None,
) -> Session:
    """Create a session with a fresh Session ID, drawing again on the (rare) collision, and
    its registration questions in the given order: all of it or nothing."""
    if module is not None and module.program_id != program.pk:
        raise ValueError("the module belongs to another program")
    session = Session(
        program=program,
        module=module,
        title=title,
        description=description,
        starts_at=starts_at,
        time_zone=time_zone,
        duration_minutes=duration_minutes,
        theme=theme,
        is_registration_required=is_registration_required,
        capacity=capacity,
        has_waitlist=has_waitlist and capacity is not None,
        remind_day_before=remind_day_before,
        remind_hour_before=remind_hour_before,
        remind_half_hour_before=remind_half_hour_before,
        created_by=created_by,
    )
    for attempt in range(CODE_ATTEMPTS):
        session.code = codes.session_code_generate()
        try:
            with transaction.atomic():
                session.save()
        except IntegrityError:
            session.pk = None
            if (
                attempt == CODE_ATTEMPTS - 1
                or not Session.objects.filter(code=session.code).exists()
            ):
                raise
            continue
        break
    session.co_hosts.set(list(co_hosts))
    RegistrationQuestion.objects.bulk_create(
        RegistrationQuestion(
            session=session,
            label=question.label,
            kind=question.kind,
            choices=question.choices,
            is_required=question.is_required,
            position=position,
        )
        for position, question in enumerate(questions)
    )
    session_reminders_plan(session=session, now=now or timezone.now())
    signals.session_created.send(sender=Session, session=session)
    return session


def _schedule_of(session: Session) -> dict[str, object]:
    return {
        "starts_at": session.starts_at.isoformat(),
        "duration_minutes": session.duration_minutes,
        "time_zone": session.time_zone,
    }


@transaction.atomic
def session_update(
    *,
    session: Session,
    now: datetime,
    title: str,
    description: str,
    module: Module | None,
    starts_at: datetime,
    time_zone: str,
    duration_minutes: int,
    theme: str,
    is_registration_required: bool,
    capacity: int | None,
    remind_day_before: bool = True,
    remind_hour_before: bool = True,
    remind_half_hour_before: bool = True,
    co_hosts: Iterable[User] | None = None,
    has_waitlist: bool | None = None,
) -> bool:
    """Save the session's details; True when its time or duration changed (a reschedule).

    A reschedule raises `sequence`, so nothing planned for the old schedule is sent from this
    moment on (the renderers check it), and records a `ReplanJob`: a Celery task plans an
    update (the invite with the new SEQUENCE) and the new reminders for every registrant in
    batches, cancelling what was planned for the earlier schedule. A change of the zone or the
    reminder switches replans the registrants' reminders the same way. The hosts' reminders
    are planned here. The queries do not grow with the registrations.
    """
    locked = lifecycle.session_locked(session)
    if locked.is_cancelled:
        raise ScheduleError("A cancelled session cannot be changed.")
    if module is not None and module.program_id != locked.program_id:
        raise ValueError("the module belongs to another program")
    rescheduled = starts_at != locked.starts_at or duration_minutes != locked.duration_minutes
    if rescheduled:
        # A higher sequence; a refusal later on (the capacity) rolls it back with the rest.
        lifecycle.session_move(locked=locked, move=Move.RESCHEDULE, now=now, refused=ScheduleError)
    if capacity is not None and capacity < locked.registrations.count():
        raise ScheduleError("More people are registered than that capacity allows.")
    changes = {
        "title": title,
        "description": description,
        "module": module,
        "starts_at": starts_at,
        "time_zone": time_zone,
        "duration_minutes": duration_minutes,
        "theme": theme,
        "is_registration_required": is_registration_required,
        "capacity": capacity,
        "remind_day_before": remind_day_before,
        "remind_hour_before": remind_hour_before,
        "remind_half_hour_before": remind_half_hour_before,
        # None leaves it as it is (callers that do not show the setting).
        "has_waitlist": (locked.has_waitlist if has_waitlist is None else has_waitlist)
        and capacity is not None,
    }
    previous = _schedule_of(locked)
    # The zone moves the day-before reminder (the same wall-clock time the day before).
    reminders_changed = (
        time_zone,
        remind_day_before,
        remind_hour_before,
        remind_half_hour_before,
    ) != (
        locked.time_zone,
        locked.remind_day_before,
        locked.remind_hour_before,
        locked.remind_half_hour_before,
    )
    for name, value in changes.items():
        setattr(locked, name, value)
    # Only these columns: the live-room work may have changed others since the form loaded.
    locked.save(update_fields=[*changes, "updated_at"])
    if rescheduled:
        # The poll caches the end: a waiting page must not go by the old schedule.
        rooms.room_cache_forget(session_id=locked.pk)
    if co_hosts is not None:
        locked.co_hosts.set(list(co_hosts))
    session.refresh_from_db()
    # A larger capacity frees seats for those waiting (none wait without a waitlist).
    _waitlist_promote(session=locked, now=now)
    if rescheduled:
        # Those still waiting are told the new time with their place (the promoted ones
        # have the confirmation).
        _waitlist_tell(session=locked, kind=WAITLIST_MOVED, now=now)
    # Any change may move the hosts' reminders: the time, the zone, the switches, the co-hosts.
    session_host_reminders_plan(session=locked, now=now)
    if rescheduled or reminders_changed:
        replan_job_create(
            session=locked,
            kind=ReplanKind.RESCHEDULE if rescheduled else ReplanKind.REMINDERS,
            now=now,
            previous_schedule=previous,
        )
    return rescheduled


@transaction.atomic
def session_cancel(*, session: Session, now: datetime) -> Session:
    """Cancel the session and tell every registrant (METHOD:CANCEL with a higher SEQUENCE).

    The session is cancelled at once, so no reminder, confirmation or update about it goes out
    from this moment (the renderers check); the hosts' reminders are cancelled here, and a
    `ReplanJob` plans the cancellation e-mails for every registrant in the background,
    cancelling their pending confirmations, updates and reminders as it goes.
    """
    locked = lifecycle.session_locked(session)
    if not lifecycle.session_move(locked=locked, move=Move.CANCEL, now=now, refused=ScheduleError):
        return locked
    # People in the waiting room poll the cached state: their next poll says cancelled.
    rooms.room_cache_forget(session_id=locked.pk)
    session.refresh_from_db()
    session_host_reminders_plan(session=locked, now=now)
    replan_job_create(session=locked, kind=ReplanKind.CANCEL, now=now)
    # Nobody waits for a cancelled session: each is told, and keeps their entry (the hosts'
    # list says who was waiting).
    _waitlist_tell(session=locked, kind=WAITLIST_CANCELLED, now=now)
    return session


def _confirmation_wanted(
    *,
    session: Session,
    registration: Registration,
    now: datetime,
    dedupe_suffix: str,
    from_waitlist: bool = False,
) -> WantedMessage:
    return WantedMessage(
        kind=CONFIRMATION,
        recipient_email=registration.email,
        recipient_name=registration.name,
        dedupe_key=f"registration:{registration.pk}:confirmation:{dedupe_suffix}",
        due_at=now,
        about=registration,
        schedule_sequence=session.sequence,
        # No expires_at: the session may move later; the renderer skips it once it is over.
        # The first one opens the registration's e-mail thread; the rest reply to it.
        payload={
            **({"opens_thread": True} if dedupe_suffix == "first" else {}),
            # "A seat freed up and it is yours", instead of "you're registered".
            **({"from_waitlist": True} if from_waitlist else {}),
        },
    )


def _confirmation_enqueue(
    *,
    session: Session,
    registration: Registration,
    now: datetime,
    dedupe_suffix: str,
    from_waitlist: bool = False,
) -> None:
    outbox_enqueue(
        topic=session_topic(session),
        message=_confirmation_wanted(
            session=session,
            registration=registration,
            now=now,
            dedupe_suffix=dedupe_suffix,
            from_waitlist=from_waitlist,
        ),
        now=now,
    )


class ConfirmationSent(enum.StrEnum):
    """What became of the confirmation (with the personal link) when someone registered."""

    QUEUED = "queued"  # a new one is on the way
    ON_ITS_WAY = "on-its-way"  # an earlier one is still waiting in the outbox
    RECENTLY_SENT = "recently-sent"  # an earlier one left less than RESEND_WINDOW_SECONDS ago


@dataclass(frozen=True)
class RegistrationOutcome:
    registration: Registration
    created: bool
    confirmation: ConfirmationSent = ConfirmationSent.QUEUED


def _registration_closed(session: Session) -> RegistrationClosed:
    return RegistrationClosed(
        "This session was cancelled." if session.is_cancelled else "This session is over."
    )


def _registration_add(
    *,
    session: Session,
    email: str,
    name: str,
    now: datetime,
    answers: Sequence[tuple[RegistrationQuestion, str]] = (),
    kept_answers: Sequence[WaitlistAnswer] = (),
    source: str = RegistrationSource.SELF,
    added_by: User | None = None,
    from_waitlist: bool = False,
    time_zone: str = "",
) -> RegistrationOutcome:
    """Register one person on a session whose row the caller has locked.

    `kept_answers` are the answers given when they joined the waitlist, with the question's
    text of that moment (the question may have changed or gone since).
    """
    email = email.strip()
    # Folded by the database, like the unique constraint (`iexact` upper-cases: "İ" differs).
    existing = (
        session.registrations.annotate(email_lower=Lower("email"))
        .filter(email_lower=Lower(Value(email)))
        .first()
    )
    if existing is not None:
        return RegistrationOutcome(registration=existing, created=False)
    if not session.is_open_for_registration(now=now):
        raise _registration_closed(session)
    if session.capacity is not None and session.registrations.count() >= session.capacity:
        raise SessionFull("This session is full.")
    registration = Registration.objects.create(
        session=session,
        email=email,
        name=name.strip(),
        source=source,
        added_by=added_by,
        time_zone=time_zone,
    )
    snapshots = [answer_snapshot(question, value) for question, value in answers]
    RegistrationAnswer.objects.bulk_create(
        [
            RegistrationAnswer(
                registration=registration,
                question=snapshot.question,
                question_label=snapshot.text,
                value=snapshot.value,
            )
            for snapshot in snapshots
        ]
        + [
            RegistrationAnswer(
                registration=registration,
                question_id=kept.question_id,
                question_label=kept.question_label,
                value=kept.value,
            )
            for kept in kept_answers
        ]
    )
    _confirmation_enqueue(
        session=session,
        registration=registration,
        now=now,
        dedupe_suffix="first",
        from_waitlist=from_waitlist,
    )
    registration_reminders_plan(session=session, registration=registration, now=now)
    return RegistrationOutcome(registration=registration, created=True)


@transaction.atomic
def registration_create(
    *,
    session: Session,
    email: str,
    name: str,
    now: datetime,
    answers: Sequence[tuple[RegistrationQuestion, str]] = (),
    time_zone: str = "",
) -> RegistrationOutcome | Waitlisted:
    """Register someone from the public page; `time_zone` is the zone their browser showed
    the page in ("" when not known), which their e-mails then use.

    The session row is locked (`SELECT … FOR UPDATE`) so that concurrent registrations count
    the places one after another and capacity holds. An address already registered (in any
    case) is not registered twice (its name and answers stay as they were): its confirmation
    is sent again, unless one is still pending or was sent in the last
    `RESEND_WINDOW_SECONDS`; the outcome says which. A full session with a waitlist puts the
    person on it (`Waitlisted`); without one this raises `SessionFull`. Raises
    `RegistrationClosed`.
    """
    locked = Session.objects.select_for_update().select_related("program").get(pk=session.pk)
    try:
        outcome = _registration_add(
            session=locked, email=email, name=name, now=now, answers=answers, time_zone=time_zone
        )
    except SessionFull:
        if not locked.has_waitlist:
            raise
        return _waitlist_join(
            session=locked,
            email=email,
            name=name,
            answers=answers,
            now=now,
            time_zone=time_zone,
        )
    if outcome.created:
        return outcome
    if not locked.is_open_for_registration(now=now):
        raise _registration_closed(locked)
    return dataclasses.replace(
        outcome,
        confirmation=_confirmation_repeat(
            session=locked, registration=outcome.registration, now=now
        ),
    )


@dataclass(frozen=True)
class Waitlisted:
    """The session was full: the person waits, `place` of them (1 is next)."""

    entry: WaitlistEntry
    place: int


def _waitlist_join(
    *,
    session: Session,
    email: str,
    name: str,
    answers: Sequence[tuple[RegistrationQuestion, str]],
    now: datetime,
    time_zone: str = "",
) -> Waitlisted:
    """Put somebody on the waitlist of a session whose row the caller has locked (once).

    Their answers are kept (with each question's text) for the registration they get with the
    seat, and they are e-mailed their place. Joining again changes nothing and sends nothing.
    """
    email = email.strip()
    entry: WaitlistEntry | None = (
        session.waitlist.annotate(email_lower=Lower("email"))
        .filter(email_lower=Lower(Value(email)))
        .first()
    )
    if entry is None:
        entry = WaitlistEntry.objects.create(
            session=session,
            email=email,
            name=name.strip(),
            position=next_position(session.waitlist.all(), first_position=1),
            time_zone=time_zone,
        )
        snapshots = [answer_snapshot(question, value) for question, value in answers]
        WaitlistAnswer.objects.bulk_create(
            [
                WaitlistAnswer(
                    entry=entry,
                    question=snapshot.question,
                    question_label=snapshot.text,
                    value=snapshot.value,
                )
                for snapshot in snapshots
            ]
        )
        outbox_enqueue(
            topic=session_topic(session),
            message=WantedMessage(
                kind=WAITLISTED,
                recipient_email=entry.email,
                recipient_name=entry.name,
                dedupe_key=f"waitlist:{entry.pk}:joined",
                due_at=now,
                about=entry,
                schedule_sequence=session.sequence,
                expires_at=session.starts_at,
            ),
            now=now,
        )
    return Waitlisted(entry=entry, place=waitlist_place(entry=entry))


def _waitlist_tell(*, session: Session, kind: str, now: datetime) -> None:
    """E-mail everyone on the session's waitlist that it moved (`WAITLIST_MOVED`) or was
    cancelled (`WAITLIST_CANCELLED`), in a constant number of queries.

    One message per entry and schedule: a newer move replaces a notice of an older one not
    sent yet, and a cancellation replaces both, and "you're on the waitlist" if still pending.
    """
    entries = list(session.waitlist.order_by("position", "id").values_list("id", "email", "name"))
    if not entries:
        return
    suffix = "moved" if kind == WAITLIST_MOVED else "cancelled"
    outbox_reconcile(
        topic=session_topic(session),
        wanted=[
            WantedMessage(
                kind=kind,
                recipient_email=email,
                recipient_name=name,
                dedupe_key=f"waitlist:{entry_id}:{suffix}:{session.sequence}",
                due_at=now,
                about_model=WaitlistEntry,
                about_pk=entry_id,
                schedule_sequence=session.sequence,
                expires_at=session.starts_at if kind == WAITLIST_MOVED else session.ends_at,
            )
            for entry_id, email, name in entries
        ],
        now=now,
        kinds=WAITLIST_KINDS if kind == WAITLIST_CANCELLED else [WAITLIST_MOVED],
        about_model=WaitlistEntry,
        about_pks=[entry_id for entry_id, _email, _name in entries],
    )


def _waitlist_leave(*, session: Session, entry: WaitlistEntry, now: datetime) -> None:
    """Take an entry off the list; its "you're on the waitlist" e-mail, if still pending,
    is not sent."""
    outbox_reconcile(
        topic=session_topic(session), wanted=[], now=now, kinds=WAITLIST_KINDS, about=entry
    )
    entry.delete()


def _waitlist_promote(*, session: Session, now: datetime) -> list[Registration]:
    """Give the free seats of a session whose row the caller has locked to those waiting.

    In order of `position`: each is registered with the answers they gave when joining
    (confirmation "a seat freed up" with the invite, reminders) and leaves the waitlist; the
    others keep their places. Somebody on it who registered in another way meanwhile just
    leaves it.
    """
    promoted: list[Registration] = []
    if session.capacity is None or not session.is_open_for_registration(now=now):
        return promoted
    while session.registrations.count() < session.capacity:
        entry = session.waitlist.order_by("position", "id").first()
        if entry is None:
            break
        kept = list(entry.answers.order_by("id"))
        email, name, zone = entry.email, entry.name, entry.time_zone
        _waitlist_leave(session=session, entry=entry, now=now)
        outcome = _registration_add(
            session=session,
            email=email,
            name=name,
            now=now,
            kept_answers=kept,
            from_waitlist=True,
            time_zone=zone,
        )
        if outcome.created:
            promoted.append(outcome.registration)
    return promoted


@transaction.atomic
def waitlist_move(*, entry: WaitlistEntry, direction: str) -> bool:
    """Swap a waiting person with the one before ("up") or after ("down"); False at an end.

    `WaitlistClosed` for a cancelled session."""
    _waitlist_session_locked(entry)
    entry = WaitlistEntry.objects.get(pk=entry.pk)
    neighbours = WaitlistEntry.objects.filter(session_id=entry.session_id)
    if direction == "up":
        other = neighbours.filter(position__lt=entry.position).order_by("-position").first()
    elif direction == "down":
        other = neighbours.filter(position__gt=entry.position).order_by("position").first()
    else:
        raise ValueError(f"unknown direction {direction!r}")
    if other is None:
        return False
    entry.position, other.position = other.position, entry.position
    WaitlistEntry.objects.bulk_update([entry, other], ["position"])
    return True


@transaction.atomic
def waitlist_remove(*, entry: WaitlistEntry, now: datetime) -> None:
    """Take somebody off the waitlist; `WaitlistClosed` for a cancelled session."""
    session = _waitlist_session_locked(entry)
    current = WaitlistEntry.objects.filter(pk=entry.pk).first()
    if session is not None and current is not None:
        _waitlist_leave(session=session, entry=current, now=now)


def _confirmation_repeat(
    *, session: Session, registration: Registration, now: datetime
) -> ConfirmationSent:
    """Someone registered again: queue the confirmation unless one is pending or just sent.

    Checked against the outbox under the session's row lock, so two repeats in a row (or
    a repeat while the first confirmation still waits for the dispatcher) add nothing.
    """
    statuses = about_unsent_or_sent_since(
        topic=session_topic(session),
        kind=CONFIRMATION,
        about=registration,
        since=now - timedelta(seconds=RESEND_WINDOW_SECONDS),
    )
    if statuses & {MessageStatus.PENDING, MessageStatus.SENDING}:
        return ConfirmationSent.ON_ITS_WAY
    if statuses:
        return ConfirmationSent.RECENTLY_SENT
    _confirmation_enqueue(
        session=session,
        registration=registration,
        now=now,
        dedupe_suffix=f"again:{now.timestamp():.6f}",
    )
    return ConfirmationSent.QUEUED


@dataclass
class ParticipantsAddResult:
    added: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    reason: str = ""


def _registered_keys(*, session: Session, emails: list[str]) -> tuple[list[str], set[str]]:
    """Each address folded as the database folds it, and which of those are registered.

    One query. Folding in SQL rather than with `str.lower()` keeps this in step with the
    unique constraint on `Lower(email)` for the few letters where the two differ (`İ`).
    """
    table = Registration._meta.db_table
    rows = ", ".join(["(%s, %s)"] * len(emails))
    params: list[Any] = [value for index, email in enumerate(emails) for value in (index, email)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT given.column1, LOWER(given.column2), r.id FROM (VALUES {rows}) AS given "  # noqa: S608
            f"LEFT JOIN {table} AS r ON r.session_id = %s AND LOWER(r.email) = LOWER(given.column2)",
            [*params, session.pk],
        )
        found = cursor.fetchall()
    keys = [""] * len(emails)
    registered: set[str] = set()
    for index, key, registration_id in found:
        keys[index] = key
        if registration_id is not None:
            registered.add(key)
    return keys, registered


@transaction.atomic
def participants_add(
    *,
    session: Session,
    people: Sequence[tuple[str, str]],
    added_by: User,
    now: datetime,
) -> ParticipantsAddResult:
    """A host adds people by e-mail address; each new one gets the same confirmation.

    Addresses already registered (or given twice) are left alone (the dashboard can resend
    their link); once the session is full, the rest are refused and named. The same rules as
    `registration_create`, checked for everyone first, then written in bulk under the
    session's row lock: one query finds who is registered, one inserts the new registrations,
    and one reconcile plans their confirmations and reminders, so adding 500 people costs the
    queries of adding 5.
    """
    locked = Session.objects.select_for_update().select_related("program").get(pk=session.pk)
    result = ParticipantsAddResult()
    if not people:
        return result
    emails = [email.strip() for email, _ in people]
    keys, registered = _registered_keys(session=locked, emails=emails)
    closed = None if locked.is_open_for_registration(now=now) else _registration_closed(locked)
    places = (
        None if locked.capacity is None else max(locked.capacity - locked.registrations.count(), 0)
    )
    new: list[Registration] = []
    for email, (_, name), key in zip(emails, people, keys, strict=True):
        refused: RegistrationRefused | None = closed
        if key in registered:
            result.already.append(email)
            continue
        if refused is None and places is not None and len(new) >= places:
            refused = SessionFull("This session is full.")
        if refused is not None:
            result.refused.append(email)
            result.reason = str(refused)
            continue
        registered.add(key)
        new.append(
            Registration(
                session=locked,
                email=email,
                name=name.strip(),
                source=RegistrationSource.HOST,
                added_by=added_by,
            )
        )
        result.added.append(email)
    if new:
        Registration.objects.bulk_create(new)
        outbox_reconcile(
            topic=session_topic(locked),
            wanted=[
                *(
                    _confirmation_wanted(
                        session=locked, registration=registration, now=now, dedupe_suffix="first"
                    )
                    for registration in new
                ),
                *registrations_reminders_wanted(session=locked, registrations=new, now=now),
            ],
            now=now,
            kinds=[CONFIRMATION, *REGISTRANT_REMINDER_KINDS],
            abouts=new,
        )
    return result


@transaction.atomic
def registration_resend_link(
    *, registration: Registration, now: datetime, revoke: bool = False
) -> Registration:
    """Send the confirmation (with the personal link) again.

    With `revoke`, the link's version is bumped first: the old link stops working and the
    e-mail carries a new one.
    """
    session = Session.objects.select_for_update().get(pk=registration.session_id)
    if not session.is_open_for_registration(now=now):
        raise RegistrationClosed("This session is cancelled or over: there is no link to send.")
    if revoke:
        registration.token_version += 1
        registration.save(update_fields=["token_version"])
        # Whoever came in through the old link is moved out; the new link lets them back in.
        rooms.attendances_revoke(
            session_id=session.pk,
            participant_keys=[rooms.participant_for_registration(registration).key],
            now=now,
            remove=False,
        )
    _confirmation_enqueue(
        session=session,
        registration=registration,
        now=now,
        dedupe_suffix=f"resend:{registration.token_version}:{now.timestamp():.6f}",
    )
    return registration


@transaction.atomic
def registration_cancel(*, registration: Registration, now: datetime) -> None:
    """Remove a registration: its pending confirmation, updates and reminders are cancelled.

    The row goes (the place is free again, and the person may register afresh); the outbox
    keeps what was sent and cancelled, for the session's history.
    """
    session = Session.objects.select_for_update().get(pk=registration.session_id)
    outbox_reconcile(
        topic=session_topic(session),
        wanted=[],
        now=now,
        kinds=[*SESSION_KINDS, *REMINDER_KINDS],
        about=registration,
    )
    # No longer registered: out of the room for good (the attendance row keeps the history).
    rooms.attendances_revoke(
        session_id=session.pk,
        participant_keys=[rooms.participant_for_registration(registration).key],
        now=now,
        remove=True,
    )
    registration.delete()
    # The freed seat goes to the first person waiting.
    _waitlist_promote(session=session, now=now)


@transaction.atomic
def registration_reminders_stop(*, registration: Registration, now: datetime) -> None:
    """The registrant unsubscribed from reminders: none is planned or sent for them again.

    Their confirmation, updates and cancellation still come (they hold the calendar entry).
    """
    session = Session.objects.select_for_update().get(pk=registration.session_id)
    Registration.objects.filter(pk=registration.pk).update(wants_reminders=False)
    registration.wants_reminders = False
    registration_reminders_plan(session=session, registration=registration, now=now)


@transaction.atomic
def host_reminders_switch(
    *, user: User, program: Program, is_on: bool, now: datetime
) -> HostReminderSetting:
    """Turn one host's reminders of one program's sessions off (the reminders' one-click
    unsubscribe, or E-mail settings) or back on: their pending host reminders of the program's
    upcoming sessions are cancelled, or planned again. Nothing else changes."""
    setting, _ = HostReminderSetting.objects.get_or_create(user=user, program=program)
    if setting.wants_session_reminders != is_on:
        setting.wants_session_reminders = is_on
        setting.save(update_fields=["wants_session_reminders", "updated_at"])
        # Reads the setting back, under the sessions' row locks, like every host replan.
        program_host_reminders_plan(program_id=program.pk, now=now)
    return setting


@transaction.atomic
def host_reminders_settings_save(
    *, user: User, programs: Iterable[Program], on: set[int], now: datetime
) -> list[Program]:
    """E-mail settings: host reminders on for the programs in `on`, off for the other
    `programs`; answers the programs whose setting changed."""
    changed = []
    for program in programs:
        is_on = program.pk in on
        if getattr(program, "reminders_on", None) != is_on:
            host_reminders_switch(user=user, program=program, is_on=is_on, now=now)
            changed.append(program)
    return changed


@transaction.atomic
def question_create(
    *, session: Session, label: str, kind: str, choices: str = "", is_required: bool = False
) -> RegistrationQuestion:
    Session.objects.select_for_update().filter(pk=session.pk).first()
    return RegistrationQuestion.objects.create(
        session=session,
        label=label,
        kind=kind,
        choices=choices,
        is_required=is_required,
        position=next_position(session.questions.all()),
    )


@transaction.atomic
def question_delete(*, question: RegistrationQuestion) -> None:
    """Remove a question; answers already given keep the question text they answered."""
    question.delete()


@transaction.atomic
def calendar_feed_for(*, user: User) -> CalendarFeed:
    """The host's feed, made the first time they ask for it (by POST); idempotent."""
    feed, _ = CalendarFeed.objects.get_or_create(user=user)
    return feed


@transaction.atomic
def calendar_feed_reset(*, user: User, now: datetime) -> CalendarFeed:
    """A new secret address for the host's feed; the old one stops working at once."""
    feed, created = CalendarFeed.objects.select_for_update().get_or_create(user=user)
    if not created:
        feed.token_version += 1
    feed.reset_at = now
    feed.save(update_fields=["token_version", "reset_at"])
    return feed
