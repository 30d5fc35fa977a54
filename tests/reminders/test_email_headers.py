"""The headers of every kind of e-mail: what a careful sender puts on each (RFC 8058, 3834, 5322)."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage
from urllib.parse import unquote

import pytest
import time_machine
from django.core import mail
from django.test import Client

from commitments.models import Commitment
from commitments.services import CREATED_KIND, REMINDER_KIND
from programs.models import Member, MemberStatus
from programs.rounds import MATCH_KIND, OPT_IN_KIND, opt_in_answer, round_match, round_schedule
from programs.services import host_invite, password_reset_request
from reminders import registry
from reminders.backends import MESSAGE_HEADER
from reminders.dispatcher import outbox_dispatch
from reminders.models import Message, MessageStatus
from sessions_app import services
from sessions_app.models import HostReminderSetting, Registration
from sessions_app.reminders import session_host_reminders_plan
from sessions_app.services import (
    CANCELLATION,
    CONFIRMATION,
    UPDATE,
    WAITLIST_CANCELLED,
    WAITLIST_MOVED,
    WAITLISTED,
)
from tests.factories import (
    CommitmentFactory,
    MemberFactory,
    SessionFactory,
    UserFactory,
    hosted_session,
)
from tests.support import backends
from tests.support.replans import replans_run
from tests.support.sessions import session_change

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
STARTS_AT = datetime(2026, 11, 25, 17, 30, tzinfo=UTC)
# Kinds that answer the recipient's own action, or are one-off notices of a change to
# something the recipient holds: no List-Unsubscribe (see docs/lifecycle.md).
WITHOUT_UNSUBSCRIBE = {
    CONFIRMATION,
    UPDATE,
    CANCELLATION,
    WAITLISTED,
    WAITLIST_MOVED,
    WAITLIST_CANCELLED,
    CREATED_KIND,
    "password_reset",
    "host_invitation",
    "host_added",
}
WITH_UNSUBSCRIBE = {
    "host_reminder_day",
    "host_reminder_hour",
    OPT_IN_KIND,
    MATCH_KIND,
    REMINDER_KIND,
    "session_reminder_day",
    "session_reminder_hour",
    "session_reminder_30min",
}


def _dispatch(at: datetime) -> None:
    with time_machine.travel(at, tick=False):
        outbox_dispatch(now=at)


def _send_one_of_every_kind() -> dict[str, object]:
    """Send every kind of e-mail Convene has at least once; {kind: the e-mail last sent}."""
    with time_machine.travel(NOW, tick=False):
        return _send_all()


def _move_then_cancel(session, *, hours: int) -> None:
    """Reschedule `session` by `hours`, then cancel it, sending what each change sends."""
    session_change(session, now=NOW, starts_at=STARTS_AT + timedelta(hours=hours))
    _dispatch(NOW)
    session.refresh_from_db()
    services.session_cancel(session=session, now=NOW)
    replans_run()
    _dispatch(NOW)


def _send_all() -> dict[str, object]:
    host = UserFactory(email="host@example.org")
    session = hosted_session(user=host, starts_at=STARTS_AT, time_zone="Europe/Berlin")
    program = session.program
    session_host_reminders_plan(session=session, now=NOW)
    services.registration_create(session=session, email="ada@example.org", name="Ada", now=NOW)
    _dispatch(NOW)
    for moment in (timedelta(days=1), timedelta(hours=1), timedelta(minutes=30)):
        _dispatch(STARTS_AT - moment + timedelta(minutes=1))
    # Those waiting hear of a new time and of the cancellation; first, so that the last update
    # and cancellation sent are the ones to Ada below.
    waiting = SessionFactory(  # in the first session's program: no program more for the host
        program=program,
        starts_at=STARTS_AT,
        time_zone="Europe/Berlin",
        capacity=1,
        has_waitlist=True,
    )
    for person in ("first", "waiting"):
        services.registration_create(
            session=waiting, email=f"{person}@example.org", name=person, now=NOW
        )
    _move_then_cancel(waiting, hours=1)
    moved = hosted_session(user=host, starts_at=STARTS_AT, time_zone="Europe/Berlin")
    services.registration_create(session=moved, email="ada@example.org", name="Ada", now=NOW)
    _dispatch(NOW)
    _move_then_cancel(moved, hours=2)
    full = hosted_session(
        user=host, starts_at=STARTS_AT, time_zone="Europe/Berlin", capacity=1, has_waitlist=True
    )
    for person in ("seat", "late"):
        services.registration_create(
            session=full, email=f"{person}@example.org", name=person, now=NOW
        )
    _dispatch(NOW)

    people = [MemberFactory(program=program, email=f"m{i}@example.org") for i in range(2)]
    opt_in_at = NOW
    round_ = round_schedule(
        program=program,
        opt_in_at=opt_in_at,
        match_at=opt_in_at + timedelta(days=1),
        time_zone="Europe/Berlin",
        now=NOW,
    )
    _dispatch(opt_in_at)
    round_.refresh_from_db()
    for person in people:
        opt_in_answer(round_=round_, member=person, answer="yes", now=opt_in_at)
    round_match(round_id=round_.pk, now=round_.match_at)
    _dispatch(round_.match_at)

    commitment = CommitmentFactory(session=session, reminder_time=time(20, 0))
    Message.objects.create(
        kind=CREATED_KIND,
        topic=f"commitment:{commitment.pk}",
        recipient_email=commitment.participant_email,
        about=commitment,
        due_at=NOW,
        dedupe_key="created",
    )
    Message.objects.create(
        kind=REMINDER_KIND,
        topic=f"commitment:{commitment.pk}",
        recipient_email=commitment.participant_email,
        about=commitment,
        due_at=NOW,
        dedupe_key="reminder",
        payload={"day": commitment.starts_on.isoformat()},
    )
    password_reset_request(user=host, now=NOW)
    host_invite(program=program, email="new@example.org", role="host", invited_by=host, now=NOW)
    host_invite(
        program=program,
        email=UserFactory(email="known@example.org").email,
        role="host",
        invited_by=host,
        now=NOW,
    )
    _dispatch(NOW + timedelta(minutes=1))

    kinds = dict(Message.objects.values_list("pk", "kind"))
    return {kinds[int(email.extra_headers[MESSAGE_HEADER])]: email for email in mail.outbox}


def _header(email, name: str) -> str | None:
    return email.message().get(name)


def test_every_kind_carries_the_headers_of_a_careful_sender_and_only_streams_can_be_left() -> None:
    sent = _send_one_of_every_kind()
    product_kinds = {kind for kind in registry.registered_kinds() if not kind.startswith("test_")}
    assert set(sent) == product_kinds == WITH_UNSUBSCRIBE | WITHOUT_UNSUBSCRIBE

    for kind, email in sent.items():
        assert _header(email, "Auto-Submitted") == "auto-generated", kind
        message_id = _header(email, "Message-ID")
        assert re.fullmatch(
            r"<(convene\.\d+|registration-\d+\.thread)@convene\.localhost>", message_id
        ), (kind, message_id)
        if kind in WITH_UNSUBSCRIBE:
            _https, mailto = re.fullmatch(
                r"<(https://convene\.example/mail/unsubscribe/[^>]+/)>, <(mailto:[^>]+)>",
                _header(email, "List-Unsubscribe"),
            ).groups()
            assert mailto.startswith("mailto:noreply@convene.localhost?subject=unsubscribe%20")
            assert _header(email, "List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
        else:
            assert _header(email, "List-Unsubscribe") is None, kind
            assert _header(email, "List-Unsubscribe-Post") is None, kind


def test_updates_and_cancellations_reply_to_the_confirmation() -> None:
    sent = _send_one_of_every_kind()
    registration = Registration.objects.filter(
        session__state="cancelled", email="ada@example.org"
    ).get()
    root = f"<registration-{registration.pk}.thread@convene.localhost>"
    [first] = [email for email in mail.outbox if _header(email, "Message-ID") == root]
    assert "registered" in first.body and _header(first, "In-Reply-To") is None
    for kind in (UPDATE, CANCELLATION):
        assert _header(sent[kind], "In-Reply-To") == root
        assert _header(sent[kind], "References") == root


def test_participant_emails_carry_the_cancel_link_and_it_leads_to_the_cancel_page() -> None:
    sent = _send_one_of_every_kind()
    for kind in (CONFIRMATION, UPDATE, "session_reminder_day", "session_reminder_hour"):
        assert "Cancel your registration" in sent[kind].body or "cancel your registration" in (
            sent[kind].body.lower()
        ), kind
    link = re.search(r"https://convene\.example(/join/[^\s]+/cancel/)", sent[CONFIRMATION].body)
    visitor = Client()
    response = visitor.get(link.group(1), follow=True)
    assert response.status_code == 200
    assert "Cancel my registration" in response.text
    assert "Google Calendar" in sent[CONFIRMATION].body
    assert "calendar.google.com" in sent[CONFIRMATION].body


def test_message_id_stays_the_same_when_a_send_is_retried(settings) -> None:
    session = hosted_session(starts_at=STARTS_AT, time_zone="Europe/Berlin")
    services.registration_create(session=session, email="ada@example.org", name="Ada", now=NOW)
    services.registration_create(session=session, email="bob@example.org", name="Bob", now=NOW)
    message = Message.objects.filter(kind=CONFIRMATION, recipient_email="bob@example.org").get()
    settings.EMAIL_BACKEND = "tests.support.backends.RefuseOnceBackend"
    backends.refused.clear()
    _dispatch(NOW)
    message.refresh_from_db()
    assert message.status == MessageStatus.PENDING and message.attempts == 1
    first_try = backends.refused[message.pk]
    _dispatch(message.due_at + timedelta(minutes=5))
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    [retried] = [e for e in mail.outbox if e.to == ["Bob <bob@example.org>"]]
    assert _header(retried, "Message-ID") == first_try


def _unsubscribe_link(email) -> str:
    return re.match(r"<https://convene\.example([^>]+)>", _header(email, "List-Unsubscribe"))[1]


def test_one_click_stops_that_stream_and_only_it() -> None:
    sent = _send_one_of_every_kind()
    client = Client(enforce_csrf_checks=True)

    # A GET (a link scanner) stops nothing; it shows the button.
    opt_in_link = _unsubscribe_link(sent[OPT_IN_KIND])
    page = client.get(opt_in_link)
    assert page.status_code == 200 and "Unsubscribe" in page.text
    member = Member.objects.get(email=sent[OPT_IN_KIND].to[0].split("<")[-1].rstrip(">"))
    assert member.status == MemberStatus.ACTIVE

    # What Gmail and Yahoo send: a POST with no cookie and no CSRF token.
    response = client.post(opt_in_link, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert "no more opt-in and match e-mails" in response.text
    member.refresh_from_db()
    assert member.status == MemberStatus.PAUSED
    other = Member.objects.exclude(pk=member.pk).get(program=member.program)
    assert other.status == MemberStatus.ACTIVE

    reminder_link = _unsubscribe_link(sent["session_reminder_day"])
    registration = Registration.objects.get(session__state="scheduled", email="ada@example.org")
    assert client.post(reminder_link).status_code == 200
    registration.refresh_from_db()
    assert registration.wants_reminders is False
    assert registration.session.registrations.count() == 1  # still registered

    # A host reminder's click stops that host's reminders of that program, nothing else.
    host_link = _unsubscribe_link(sent["host_reminder_hour"])
    assert "e-mail settings" in client.get(host_link).text
    response = client.post(host_link)
    assert response.status_code == 200
    assert "no more host reminders for the sessions of" in response.text
    assert "Turn them back on" in response.text
    settings_of_host = HostReminderSetting.objects.filter(user__email="host@example.org")
    assert {(s.program_id, s.wants_session_reminders) for s in settings_of_host} == {
        (registration.session.program_id, False),  # the reminder's program
        (
            Registration.objects.get(
                session__state="cancelled", email="ada@example.org"
            ).session.program_id,
            True,
        ),
    }
    assert registration.session.registrations.get().wants_reminders is False  # as before

    commitment_link = _unsubscribe_link(sent[REMINDER_KIND])
    assert client.post(commitment_link).status_code == 200
    commitment = Commitment.objects.get()
    assert commitment.reminder_time is None

    # A forged or altered token stops nothing.
    assert client.post(opt_in_link.replace("/rounds/", "/checkins/")).status_code == 404
    assert client.post(opt_in_link[:-3] + "xx/").status_code == 404


def test_a_registrant_who_unsubscribed_from_reminders_gets_none_but_still_the_update() -> None:
    session = hosted_session(starts_at=STARTS_AT, time_zone="Europe/Berlin")
    services.registration_create(session=session, email="ada@example.org", name="Ada", now=NOW)
    services.registration_create(session=session, email="bob@example.org", name="Bob", now=NOW)
    ada = Registration.objects.get(email="ada@example.org")
    services.registration_reminders_stop(registration=ada, now=NOW)
    pending = Message.objects.filter(status=MessageStatus.PENDING, kind__startswith="session_rem")
    assert {m.recipient_email for m in pending} == {"bob@example.org"}
    session_change(session, now=NOW, starts_at=STARTS_AT + timedelta(hours=1))
    assert {m.recipient_email for m in pending.all()} == {"bob@example.org"}
    _dispatch(NOW)
    assert {e.to[0] for e in mail.outbox if "new time" in e.body} == {
        "Ada <ada@example.org>",
        "Bob <bob@example.org>",
    }


INBOUND = "/anymail/postmark/inbound/"
WEBHOOK_AUTH = "Basic " + base64.b64encode(b"tracker:s3cret").decode()


def _mailto(email) -> tuple[str, str]:
    """(address, subject) of an e-mail's List-Unsubscribe mailto, as a client reads it."""
    mailto = re.search(r"<mailto:([^>?]+)\?subject=([^>]+)>", _header(email, "List-Unsubscribe"))
    return mailto[1], unquote(mailto[2])


def _mail_to(address: str, subject: str, *, sender: str = "someone@example.org") -> int:
    """Post, in Postmark's inbound webhook shape, the mail a client sends to a mailto."""
    raw = EmailMessage()
    raw["From"] = sender
    raw["To"] = address
    raw["Subject"] = subject
    raw.set_content("This message was automatically generated by Gmail.")
    payload = {
        "FromFull": {"Email": sender, "Name": ""},
        "ToFull": [{"Email": address, "Name": ""}],
        "OriginalRecipient": address,
        "Subject": subject,
        "MessageID": "d0c8a1b2",
        "RawEmail": raw.as_string(),
        "Headers": [],
        "Attachments": [],
    }
    response = Client().post(
        INBOUND,
        data=json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=WEBHOOK_AUTH,
    )
    return response.status_code


def test_mail_to_the_mailto_address_stops_that_stream_and_only_it(caplog) -> None:
    sent = _send_one_of_every_kind()
    member = Member.objects.get(email=sent[OPT_IN_KIND].to[0].split("<")[-1].rstrip(">"))
    registration = Registration.objects.get(session__state="scheduled", email="ada@example.org")
    commitment = Commitment.objects.get()
    address, subject = _mailto(sent[MATCH_KIND])
    assert address == "noreply@convene.localhost"
    assert subject.startswith("unsubscribe rounds ")

    # Forged, altered and unknown tokens, and a valid one sent elsewhere, change nothing.
    stream, token = subject.split()[1:]
    with caplog.at_level("WARNING", logger="reminders.unsubscribe"):
        assert _mail_to(address, f"unsubscribe {stream} {token[:-2]}xx") == 200
        assert _mail_to(address, f"unsubscribe checkins {token}") == 200
        assert _mail_to(address, f"unsubscribe nosuchstream {token}") == 200
        assert _mail_to(address, "Please take me off your list") == 200
    assert _mail_to("rsvp@convene.example", subject) == 200  # not the unsubscribe address
    assert caplog.text.count("ignored") == 4
    member.refresh_from_db()
    commitment.refresh_from_db()
    assert member.status == MemberStatus.ACTIVE and commitment.reminder_time is not None

    # The mail a client sends (a "Re:" or a +tag does not matter) stops exactly that stream.
    assert _mail_to("NoReply+list@convene.localhost", f"Re: {subject}") == 200
    member.refresh_from_db()
    assert member.status == MemberStatus.PAUSED
    assert Member.objects.exclude(pk=member.pk).get(program=member.program).status == (
        MemberStatus.ACTIVE
    )
    registration.refresh_from_db()
    assert registration.wants_reminders is True
    commitment.refresh_from_db()
    assert commitment.reminder_time is not None

    assert _mail_to(*_mailto(sent["session_reminder_hour"])) == 200
    registration.refresh_from_db()
    assert registration.wants_reminders is False
    assert _mail_to(*_mailto(sent[REMINDER_KIND])) == 200
    commitment.refresh_from_db()
    assert commitment.reminder_time is None
    assert _mail_to(*_mailto(sent["host_reminder_day"])) == 200
    assert HostReminderSetting.objects.filter(wants_session_reminders=False).count() == 1


@pytest.mark.parametrize(
    ("stream", "token"),
    [
        ("registrant-reminders", "AbC-_9.xyz~"),  # what streams and tokens are made of
        ("registrant-reminders", "a/b+c=d e"),  # anything else takes `quote` itself
        ("ünï", "tök€n"),
    ],
)
def test_the_mailto_subject_is_what_quote_makes_of_it(stream: str, token: str) -> None:
    from urllib.parse import quote

    from reminders.unsubscribe import unsubscribe_address, unsubscribe_mailto

    assert unsubscribe_mailto(stream=stream, token=token) == (
        f"mailto:{unsubscribe_address()}?subject={quote(f'unsubscribe {stream} {token}')}"
    )
