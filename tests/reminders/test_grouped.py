"""E-mails built once per group (reminders.grouped): the bytes a recipient gets are the bytes a
build of their own e-mail gives, whatever their name holds."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.db.models import prefetch_related_objects
from django.test import override_settings

from reminders import registry
from reminders.dispatcher import _decorate, _Groups, _outbox_values, outbox_dispatch
from reminders.grouped import GroupedEmail, Prepared
from reminders.mime import OutboxEmail
from reminders.models import Message, MessageStatus
from sessions_app.reminders import session_reminders_plan
from sessions_app.tokens import join_url
from tests.factories import RegistrationFactory, hosted_session
from tests.support.smtp import ScriptedSMTPServer

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
STARTS_AT = datetime(2026, 11, 25, 17, 30, tzinfo=UTC)
HOUR_BEFORE = STARTS_AT - timedelta(hours=1)

# Filled in from the group's bytes: escaping in HTML, quoting and encoding in To.
FILLED = [
    ("Ada Lovelace", "ada@example.org"),
    ('O\'Brien & <Sons> "Quoted"', "obrien@example.org"),
    ("Doe, Jane", "jane@example.org"),
    ("Zoë Ünal", "zoe@example.org"),
    ("李小龙", "li@example.org"),
    ("🎉 Party", "party@example.org"),
    ("", "nameless@example.org"),
    ("x" * 200, "long@example.org"),
    ("zqxa0a&q@marker.invalid", "marker@example.org"),
    ("Two  spaces", "spaces@example.org"),  # one space in To, both in the bodies
    ("", "zoe@bücher.example"),  # an IDN domain (with a name it cannot be built at all)
]
# Built per message: a single build would fold, refuse or re-encode these.
BUILT_ALONE = [
    ("A\r\nBcc: evil@example.org", "crlf@example.org"),
    ("Tab\tName", "tab@example.org"),
    ("Line\u2028Separator", "separator@example.org"),
]


def _normalised(data: bytes) -> bytes:
    return re.sub(rb"=_[0-9a-f]{32}", b"=_BOUNDARY", data)


def _reminders(people: list[tuple[str, str]], **program_fields: object) -> list[Message]:
    with time_machine.travel(NOW, tick=False):
        session = hosted_session(starts_at=STARTS_AT, time_zone="Europe/Berlin")
        for field, value in program_fields.items():
            setattr(session.program, field, value)
        session.program.save()
        for name, email in people:
            RegistrationFactory(session=session, name=name, email=email)
        session_reminders_plan(session=session, now=NOW)
    messages = list(Message.objects.filter(kind="session_reminder_hour").order_by("id"))
    prefetch_related_objects(
        messages, GenericPrefetch("about", registry.about_querysets({"session_reminder_hour"}))
    )
    return messages


def _both_ways(message: Message, groups: _Groups) -> tuple[Prepared | OutboxEmail, bytes]:
    grouped = registry.renderer_for(message.kind)(message)
    assert isinstance(grouped, GroupedEmail)
    got = groups.email(grouped, message)
    # The per-message path: the whole e-mail built for this recipient alone.
    values = {**grouped.values, **_outbox_values(message)}
    email = replace(grouped, values=values).email()
    _decorate(email, values)
    return got, email.message().as_bytes(linesep="\r\n")


@pytest.mark.parametrize("brand", [{}, {"brand_name": "Café Üben, Berlin", "brand_colour": ""}])
def test_a_grouped_email_has_the_bytes_of_its_own_build(brand: dict[str, str]) -> None:
    messages = _reminders(FILLED + BUILT_ALONE, **brand)
    groups = _Groups(prepared=True)
    filled_names = {name for name, _ in FILLED}

    with time_machine.travel(HOUR_BEFORE, tick=False):  # one Date for both ways
        for message in messages:
            got, expected = _both_ways(message, groups)
            name = message.about.name
            data = got.data if isinstance(got, Prepared) else got.message().as_bytes(linesep="\r\n")

            assert _normalised(data) == _normalised(expected), name
            assert isinstance(got, Prepared) == (name in filled_names), name
    # One skeleton per shape of values (empty or not, ASCII or not), not one per recipient.
    assert 1 < len(groups.skeletons) <= 4


def test_each_recipient_gets_their_own_boundary_ids_and_links() -> None:
    messages = _reminders([("Ada", "ada@example.org"), ("Bo", "bo@example.org")])
    groups = _Groups(prepared=True)

    with time_machine.travel(HOUR_BEFORE, tick=False):
        first, second = (_both_ways(message, groups)[0] for message in messages)

    assert isinstance(first, Prepared) and isinstance(second, Prepared)
    boundaries = [set(re.findall(rb"=_[0-9a-f]{32}", p.data)) for p in (first, second)]
    assert boundaries[0] and not boundaries[0] & boundaries[1]
    for prepared, message in zip((first, second), messages, strict=True):
        assert f"<convene.{message.pk}@".encode() in prepared.data
        assert join_url(message.about).encode() in prepared.data
    assert b"Ada" in first.data and b"Ada" not in second.data


def test_a_line_too_long_for_8bit_is_built_alone_in_quoted_printable() -> None:
    (message,) = _reminders([("Ada", "ada@example.org")])

    with time_machine.travel(HOUR_BEFORE, tick=False):
        grouped = registry.renderer_for(message.kind)(message)
        long_name = replace(grouped, values={**grouped.values, "name": "y" * 1200})
        got = _Groups(prepared=True).email(long_name, message)

        assert isinstance(got, OutboxEmail)
        assert b"quoted-printable" in got.message().as_bytes()


def test_without_a_backend_for_bytes_each_email_is_built() -> None:
    (message,) = _reminders([("Ada", "ada@example.org")])

    with time_machine.travel(HOUR_BEFORE, tick=False):
        got, expected = _both_ways(message, _Groups(prepared=False))
        data = got.message().as_bytes(linesep="\r\n")

    assert isinstance(got, OutboxEmail)
    assert _normalised(data) == _normalised(expected)


@pytest.fixture
def smtp_server() -> Iterator[ScriptedSMTPServer]:
    server = ScriptedSMTPServer()
    yield server
    server.stop()


def test_grouped_reminders_reach_a_real_server_each_with_its_own_name_and_link(
    smtp_server: ScriptedSMTPServer,
) -> None:
    messages = _reminders(FILLED + BUILT_ALONE)
    by_id = {message.pk: message.about for message in messages}

    with (
        override_settings(
            EMAIL_BACKEND="reminders.backends.SMTPEmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=smtp_server.port,
            EMAIL_USE_TLS=False,
            EMAIL_USE_SSL=False,
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
        ),
        time_machine.travel(HOUR_BEFORE + timedelta(seconds=5), tick=False),
    ):
        result = outbox_dispatch(now=HOUR_BEFORE + timedelta(seconds=5))

    assert result.failed == 0 and result.sent >= len(messages)
    assert not Message.objects.filter(kind="session_reminder_hour").exclude(
        status=MessageStatus.SENT
    )
    for received in smtp_server.received:
        registration = by_id.get(received.outbox_id)
        if registration is None:
            continue  # the host's reminder, the day-before ones
        html = received.message.get_payload()[1].get_payload(decode=True).decode()
        text = received.message.get_payload()[0].get_payload(decode=True).decode()
        assert join_url(registration) in text and join_url(registration) in html
        assert received.recipients == [registration.email.replace("bücher", "xn--bcher-kva")]
