"""Demo data for the Actionable half of the first demo program ("Habits Lab"), so that `make run`
shows it at once: questions on the modules, commitments with a few days of check-ins (ratings,
notes, one reflection), attendance at the past session, and a session about to start so the
waiting room can be tried straight away.

Each piece is its own function and checks whether it is there already, so `load_demo` can run
again and again. Commitments and attendance are written as rows (what the participants did);
the session about to start goes through the services like any session, so its registrants get
their confirmation and reminders in the dev outbox.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User

from commitments.demo_insights import demo_guest_attendance
from commitments.models import CheckIn, Commitment, QuestionKind
from commitments.services import answers_create, question_create
from programs.models import Module, Program
from sessions_app.models import Attendance, AttendanceRole, AttendanceStatus, Session
from sessions_app.services import registration_create, session_create

ABOUT_TO_START = "Drop-in: try the waiting room"
ABOUT_TO_START_MINUTES = 5  # the room opens 10 minutes ahead: the waiting room is open now
# (module position, text, kind, choices, required)
DEMO_QUESTIONS = [
    (1, "Which small step will you take every day?", QuestionKind.SHORT_TEXT, "", True),
    (
        1,
        "When in the day will you do it?",
        QuestionKind.SINGLE_CHOICE,
        "Morning\nLunch\nEvening",
        True,
    ),
    (1, "How confident are you that you will keep it up?", QuestionKind.SCALE_1_10, "", False),
    (2, "What got in the way last week?", QuestionKind.LONG_TEXT, "", False),
    (2, "How many minutes a day will you spend on it?", QuestionKind.NUMBER, "", True),
]
# (name, e-mail, days since it started, answers, check-ins as (done, rating, note), reflection,
# ended early after that many days)
DEMO_COMMITMENTS = [
    (
        "Mia Wagner",
        "mia@example.org",
        4,
        ["Ten minutes of stretching", "Morning", "8"],
        [(True, 8, "Easy start"), (True, 7, ""), (False, 4, "Overslept"), (True, 9, "Felt great")],
        "",
        None,
    ),
    (
        "Jonas Becker",
        "jonas@example.org",
        3,
        ["Read five pages", "Evening", "6"],
        [(True, 6, ""), (True, 8, "Finished a chapter")],
        "",
        None,
    ),
    (
        "Lea Schmidt",
        "lea@example.org",
        4,
        ["No phone after 22:00", "Evening", "5"],
        [(True, 5, ""), (False, 3, "Late call from work")],
        "Evenings are not my time for this: I will try mornings in week 2.",
        2,
    ),
]


def load_actionable_demo(*, program: Program, host: User, now: datetime) -> None:
    modules = list(program.modules.order_by("position", "id"))
    _module_questions(modules=modules)
    past = Session.objects.filter(program=program, starts_at__lt=now).order_by("starts_at").first()
    if past is not None:
        _past_attendance(session=past)
        _commitments(session=past, module=modules[0], now=now)
    _session_about_to_start(program=program, host=host, module=modules[0], now=now)


def _module_questions(*, modules: list[Module]) -> None:
    for position, text, kind, choices, is_required in DEMO_QUESTIONS:
        module = modules[position - 1]
        if module.questions.filter(text=text).exists():
            continue
        question_create(
            module=module, text=text, kind=kind, choices=choices, is_required=is_required
        )


def _past_attendance(*, session: Session) -> None:
    """Who came to the past session: its registrants, and a guest."""
    if Attendance.objects.filter(session=session).exists():
        return
    start, end = session.starts_at, session.starts_at + timedelta(minutes=session.duration_minutes)
    rows = [
        Attendance(
            session=session,
            participant_key=f"registration:{registration.pk}",
            registration=registration,
            role=AttendanceRole.ATTENDEE,
            name=registration.name,
            status=AttendanceStatus.LEFT,
            arrived_at=start - timedelta(minutes=3),
            joined_at=start,
            left_at=end,
            last_seen_at=end,
        )
        for registration in session.registrations.order_by("id")
    ]
    rows.append(demo_guest_attendance(session=session, minutes=20))
    Attendance.objects.bulk_create(rows)


def _commitments(*, session: Session, module: Module, now: datetime) -> None:
    """Commitments made from the past session, a few days in, with their check-ins."""
    if Commitment.objects.filter(session=session).exists():
        return
    zone = ZoneInfo(session.time_zone)
    today = now.astimezone(zone).date()
    questions = list(module.questions.filter(is_archived=False).order_by("position", "id"))
    for name, email, days_ago, answers, checkins, reflection, ended_after in DEMO_COMMITMENTS:
        starts_on = today - timedelta(days=days_ago)
        created_at = max(
            session.starts_at + timedelta(hours=1),
            datetime.combine(starts_on, time(8, 0), tzinfo=zone),
        )
        ended_early_at = (
            datetime.combine(starts_on + timedelta(days=ended_after - 1), time(21, 0), tzinfo=zone)
            if ended_after
            else None
        )
        commitment = Commitment.objects.create(
            session=session,
            module=module,
            participant_name=name,
            participant_email=email,
            time_zone=session.time_zone,
            starts_on=starts_on,
            duration_days=module.commitment_days,
            ends_on=starts_on + timedelta(days=module.commitment_days - 1),
            created_at=created_at,
            ended_early_at=ended_early_at,
            reflection=reflection,
            reflected_at=ended_early_at if reflection else None,
        )
        answers_create(commitment=commitment, answers=zip(questions, answers, strict=False))
        rows = []
        for offset, (is_done, rating, note) in enumerate(checkins):
            day = starts_on + timedelta(days=offset)
            moment = datetime.combine(day, time(20, 0), tzinfo=zone)
            if moment > now:
                break  # today's check-in is still to come
            rows.append(
                CheckIn(
                    commitment=commitment,
                    day=day,
                    is_done=is_done,
                    rating=rating,
                    note=note,
                    created_at=moment,
                    updated_at=moment,
                )
            )
        CheckIn.objects.bulk_create(rows)


def _session_about_to_start(*, program: Program, host: User, module: Module, now: datetime) -> None:
    """A session starting in a few minutes (a new one once the last has ended)."""
    is_running = Session.objects.filter(
        program=program, title=ABOUT_TO_START, starts_at__gt=now - timedelta(minutes=30)
    ).exists()
    if is_running:
        return
    starts_at = (now + timedelta(minutes=ABOUT_TO_START_MINUTES)).replace(second=0, microsecond=0)
    session = session_create(
        program=program,
        created_by=host,
        title=ABOUT_TO_START,
        description=(
            "Starts a few minutes after the demo is loaded: open it as a participant to wait for the "
            "host, then start it from the host's dashboard."
        ),
        module=module,
        starts_at=starts_at,
        time_zone=program.time_zone,
        duration_minutes=30,
        capacity=20,
        now=now,
    )
    for name, email in (("Mia Wagner", "mia@example.org"), ("Noah Fischer", "noah@example.org")):
        registration_create(session=session, email=email, name=name, now=now)
