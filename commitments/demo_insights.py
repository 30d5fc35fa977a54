"""A second demo program with a history, so the Insights tab (and the all-programs view) has
something to show under `make run`: past sessions with attendance, commitments with
check-ins, matched rounds and delivered, bounced and failed e-mail. It is a program of its
own so that the first demo program stays as small as its tests expect. Rows are written directly (no e-mail is planned or sent) and the
pseudo-random choices are seeded, so every run makes the same history."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User

from commitments.models import CheckIn, Commitment, CommitmentSource
from programs.models import Match, Member, OptIn, OptInAnswer, Program, Round, RoundState
from programs.services import module_create, program_create
from reminders.models import DeliveryStatus, Message, MessageStatus
from sessions_app.models import (
    Attendance,
    AttendanceRole,
    AttendanceStatus,
    Registration,
    RegistrationSource,
    Session,
    SessionState,
)

DEMO_HISTORY_PROGRAM = "Habits Lab · Spring cohort"
MARKER = "Past workshop"
NOTES = ["Walked to work", "Hard day, still did it", "", "", "Felt great", "Only ten minutes"]


def load_insights_demo(*, host: User, now: datetime) -> None:
    if Program.objects.filter(name=DEMO_HISTORY_PROGRAM, host_roles__user=host).exists():
        return
    program = program_create(
        owner=host,
        name=DEMO_HISTORY_PROGRAM,
        description="A demo program that ran over the last weeks: see its Insights tab.",
        time_zone="Europe/Berlin",
    )
    for title, days in (("Morning walks", 14), ("Screen-free evenings", 10)):
        module_create(program=program, title=title, is_activated=True, commitment_days=days)
    Member.objects.bulk_create(
        Member(program=program, name=name, email=f"{name.split()[0].lower()}@spring.convene.test")
        for name in (
            "Ines Ortega",
            "Tomás Silva",
            "Yuki Tanaka",
            "Omar Haddad",
            "Sara Lind",
            "Pavel Novak",
            "Amara Obi",
            "Liam Byrne",
            "Nora Berg",
            "Ravi Iyer",
            "Zoe Martin",
        )
    )
    rng = random.Random(16)
    zone = ZoneInfo(program.time_zone)
    today = now.astimezone(zone).date()
    modules = list(program.modules.order_by("position", "id")[:2])
    sessions = []
    for index, days_ago in enumerate((52, 38, 24, 17, 10, 6)):
        starts_at = datetime.combine(today - timedelta(days=days_ago), time(18, 0), tzinfo=zone)
        is_cancelled = index == 3
        session = Session.objects.create(
            program=program,
            module=modules[index % len(modules)],
            title=f"{MARKER} {index + 1}",
            description="A demo session in the past.",
            starts_at=starts_at,
            time_zone=program.time_zone,
            duration_minutes=60,
            created_by=host,
            state=SessionState.CANCELLED if is_cancelled else SessionState.COMPLETED,
            started_at=None if is_cancelled else starts_at,
            ended_at=None if is_cancelled else starts_at + timedelta(minutes=60),
            cancelled_at=starts_at - timedelta(days=1) if is_cancelled else None,
        )
        registrations = Registration.objects.bulk_create(
            Registration(
                session=session,
                email=f"past{index}-{n}@example.org",
                name=f"Participant {index + 1}.{n + 1}",
                source=RegistrationSource.SELF,
            )
            for n in range(8 + 2 * index)
        )
        sessions.append(session)
        if is_cancelled:
            continue
        _attendance(session=session, registrations=registrations, rng=rng)
        _messages(session=session, registrations=registrations, rng=rng)
    _commitments(
        sessions=[s for s in sessions if s.state != SessionState.CANCELLED], now=now, rng=rng
    )
    _rounds(program=program, now=now, rng=rng)


def demo_guest_attendance(*, session: Session, minutes: int) -> Attendance:
    """A guest speaker who came in at the start and stayed `minutes` (not saved)."""
    start = session.starts_at
    return Attendance(
        session=session,
        participant_key=f"open:demo-guest-{session.pk}",
        role=AttendanceRole.GUEST,
        name="A guest speaker",
        status=AttendanceStatus.LEFT,
        arrived_at=start,
        joined_at=start,
        left_at=start + timedelta(minutes=minutes),
        last_seen_at=start + timedelta(minutes=minutes),
    )


def _attendance(*, session: Session, registrations: list[Registration], rng: random.Random) -> None:
    start, end = session.starts_at, session.starts_at + timedelta(minutes=60)
    rows = []
    for registration in registrations:
        if rng.random() < 0.3:
            continue  # a no-show
        arrived = start - timedelta(minutes=rng.choice([0, 0, 2, 6, 9]))
        left = end if rng.random() < 0.65 else start + timedelta(minutes=rng.randint(8, 45))
        rows.append(
            Attendance(
                session=session,
                participant_key=f"registration:{registration.pk}",
                registration=registration,
                role=AttendanceRole.ATTENDEE,
                name=registration.name,
                status=AttendanceStatus.LEFT,
                arrived_at=arrived,
                joined_at=max(arrived, start),
                left_at=left,
                last_seen_at=left,
            )
        )
    rows.append(demo_guest_attendance(session=session, minutes=30))
    Attendance.objects.bulk_create(rows)


def _messages(*, session: Session, registrations: list[Registration], rng: random.Random) -> None:
    rows = []
    for registration in registrations:
        for kind in ("session_confirmation", "session_reminder_hour"):
            roll = rng.random()
            delivery, status = DeliveryStatus.DELIVERED, MessageStatus.SENT
            if roll < 0.03:
                delivery = DeliveryStatus.BOUNCED
            elif roll < 0.05:
                delivery = DeliveryStatus.COMPLAINED
            elif roll < 0.07:
                delivery, status = DeliveryStatus.UNKNOWN, MessageStatus.FAILED
            elif roll < 0.4:
                delivery = DeliveryStatus.OPENED
            rows.append(
                Message(
                    kind=kind,
                    topic=f"session:{session.pk}",
                    recipient_email=registration.email,
                    recipient_name=registration.name,
                    due_at=session.starts_at - timedelta(hours=1),
                    status=status,
                    sent_at=session.starts_at - timedelta(hours=1)
                    if status == MessageStatus.SENT
                    else None,
                    delivery_status=delivery,
                    last_error="550 mailbox unavailable" if status == MessageStatus.FAILED else "",
                    dedupe_key=f"demo:{kind}:{registration.pk}",
                )
            )
    Message.objects.bulk_create(rows)


# The ways in, in turn (not from `rng`, so the rest of the history stays as it was): mostly
# the QR code shown in the room, then typed Session IDs and shared links, a few from before
# the way in was recorded.
_DEMO_SOURCES = [
    CommitmentSource.QR_CODE,
    CommitmentSource.SESSION_ID,
    CommitmentSource.QR_CODE,
    CommitmentSource.DIRECT_LINK,
    CommitmentSource.QR_CODE,
    CommitmentSource.SESSION_ID,
    CommitmentSource.UNKNOWN,
]


def _commitments(*, sessions: list[Session], now: datetime, rng: random.Random) -> None:
    turn = 0
    for session in sessions:
        module = session.module
        if module is None:  # commitments belong to a module's sessions
            continue
        registrations = list(session.registrations.order_by("id")[:5])
        for registration in registrations:
            turn += 1
            created = max(session.starts_at, now - timedelta(days=rng.randint(3, 40)))
            starts_on = created.astimezone(ZoneInfo(session.time_zone)).date()
            days = module.commitment_days
            ended_early = rng.random() < 0.15
            commitment = Commitment.objects.create(
                session=session,
                module=module,
                participant_name=registration.name,
                participant_email=registration.email,
                time_zone=session.time_zone,
                starts_on=starts_on,
                duration_days=days,
                ends_on=starts_on + timedelta(days=days - 1),
                created_at=created,
                ended_early_at=created + timedelta(days=3) if ended_early else None,
                reflection="Small steps really worked for me." if rng.random() < 0.3 else "",
                source=_DEMO_SOURCES[turn % len(_DEMO_SOURCES)],
            )
            keen = rng.uniform(0.45, 0.95)
            rows = []
            for offset in range(days):
                day = starts_on + timedelta(days=offset)
                moment = datetime.combine(day, time(20, 0), tzinfo=ZoneInfo(session.time_zone))
                if moment > now or (ended_early and offset > 3):
                    break
                keen *= 0.97  # interest fades a little every day
                if rng.random() > keen + 0.1:
                    continue
                rows.append(
                    CheckIn(
                        commitment=commitment,
                        day=day,
                        is_done=rng.random() < keen + 0.15,
                        rating=rng.randint(4, 10),
                        note=rng.choice(NOTES),
                        created_at=moment,
                        updated_at=moment,
                    )
                )
            CheckIn.objects.bulk_create(rows)


def _rounds(*, program: Program, now: datetime, rng: random.Random) -> None:
    members = list(Member.objects.filter(program=program).order_by("id"))
    if len(members) < 4:
        return
    for weeks_ago in (4, 3, 2, 1):
        match_at = now - timedelta(weeks=weeks_ago)
        opt_in_at = match_at - timedelta(days=2)
        round_ = Round.objects.create(
            program=program,
            state=RoundState.MATCHED,
            opt_in_at=opt_in_at,
            opened_at=opt_in_at,
            match_at=match_at,
            matched_at=match_at,
            time_zone=program.time_zone,
            seed=weeks_ago,
        )
        yes = []
        for member in members:
            roll = rng.random()
            Message.objects.create(
                kind="opt_in",
                topic=round_.topic,
                recipient_email=member.email,
                recipient_name=member.name,
                due_at=opt_in_at,
                status=MessageStatus.SENT,
                sent_at=opt_in_at,
                delivery_status=DeliveryStatus.DELIVERED,
                dedupe_key=f"demo:round:{round_.pk}:opt_in:{member.pk}",
            )
            if roll < 0.15:
                continue  # no answer
            answer = OptInAnswer.YES if roll < 0.8 else OptInAnswer.NO
            OptIn.objects.create(
                round=round_,
                member=member,
                answer=answer,
                answered_at=opt_in_at + timedelta(hours=3),
                first_answered_at=opt_in_at + timedelta(hours=3),
            )
            if answer == OptInAnswer.YES:
                yes.append(member)
        rng.shuffle(yes)
        groups = [yes[i : i + 2] for i in range(0, len(yes) - len(yes) % 2, 2)]
        if len(yes) % 2 and groups:
            groups[-1].append(yes[-1])
        for number, group in enumerate(groups, start=1):
            Match.objects.create(round=round_, number=number).members.set(group)
    # An open round: its grouping preview shows who meets whom and which repeats are avoided.
    upcoming = Round.objects.create(
        program=program,
        state=RoundState.OPEN,
        opt_in_at=now - timedelta(days=1),
        opened_at=now - timedelta(days=1),
        match_at=now + timedelta(days=2),
        time_zone=program.time_zone,
        seed=99,
    )
    OptIn.objects.bulk_create(
        OptIn(
            round=upcoming,
            member=member,
            answer=OptInAnswer.YES if index % 5 else OptInAnswer.NO,
            answered_at=now - timedelta(hours=20),
            first_answered_at=now - timedelta(hours=20),
        )
        for index, member in enumerate(members)
    )
