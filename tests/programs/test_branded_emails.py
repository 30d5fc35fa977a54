"""A branded program's participants get e-mail from its brand; hosts still hear from Convene."""

from __future__ import annotations

import email
import re
from datetime import UTC, datetime, timedelta
from email import policy
from email.utils import parseaddr

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.mail import EmailMessage

from commitments.services import commitment_create
from programs.models import Program
from programs.rounds import round_schedule
from reminders.dispatcher import outbox_dispatch
from sessions_app.services import registration_create, session_create
from tests.factories import MemberFactory, ModuleFactory, hosted_program
from tests.support.dispatching import dispatch_counting

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
STARTS_AT = NOW + timedelta(days=5)
BRAND = {"brand_name": "Habit Lab", "brand_colour": "#7c2d12"}


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def _from(sent: EmailMessage) -> tuple[str, str]:
    """The From display name and address, as a mail client reads them off the wire."""
    mime = email.message_from_bytes(sent.message().as_bytes(), policy=policy.default)
    [address] = mime["From"].addresses
    return address.display_name, address.addr_spec


def _html(sent: EmailMessage) -> str:
    return next(content for content, mimetype in sent.alternatives if mimetype == "text/html")


def _header(html: str) -> tuple[str, str]:
    """The line above the content: its colour, and the brand (or Convene) it names."""
    found = re.search(r'<p style="margin:0 0 16px;font-weight:bold;color:([^"]+)">(.*?)</p>', html)
    assert found, "the e-mail has its header line"
    return found.group(1), found.group(2)


def _sending_address() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1]


def _session(program: Program):
    host = program.hosts.get()
    return session_create(
        program=program,
        created_by=host,
        title="Morning focus",
        starts_at=STARTS_AT,
        time_zone="Europe/Berlin",
        now=NOW,
    )


def _confirmation(program: Program) -> EmailMessage:
    session = _session(program)
    registration_create(session=session, email="ada@example.org", name="Ada", now=NOW)
    outbox_dispatch(now=NOW)
    [sent] = [m for m in mail.outbox if m.to == ["Ada <ada@example.org>"]]
    return sent


def test_a_branded_programs_confirmation_comes_from_its_brand() -> None:
    sent = _confirmation(hosted_program(**BRAND))
    assert _from(sent) == ("Habit Lab", _sending_address())
    html = _html(sent)
    assert _header(html) == ("#7c2d12", "Habit Lab")
    assert "<title>Habit Lab</title>" in html
    assert "Sent by Habit Lab" in html
    assert "background:#7c2d12;color:#ffffff" in html  # the join button
    assert "Convene" not in html and "Convene" not in sent.body
    assert sent.alternatives[1][1] == "text/calendar; method=REQUEST"  # the invite stays


def test_an_unbranded_programs_confirmation_still_comes_from_convene() -> None:
    sent = _confirmation(hosted_program(brand_colour="#7c2d12"))  # a colour alone is no brand
    assert _from(sent) == ("Convene", _sending_address())
    assert _header(_html(sent)) == ("#1d4ed8", "Convene")
    assert "Sent by Convene" in _html(sent)


def test_a_program_with_its_own_host_name_signs_with_its_name() -> None:
    program = hosted_program(name="Sleep Study", start_host_name="start.sleep.example")
    sent = _confirmation(program)
    assert _from(sent)[0] == "Sleep Study"
    assert _header(_html(sent))[1] == "Sleep Study"
    assert "https://start.sleep.example/join/" in sent.body


def test_a_brand_name_with_commas_quotes_and_accents_survives_the_from_header() -> None:
    sent = _confirmation(hosted_program(brand_name='Café "Habits", Zürich'))
    assert _from(sent) == ('Café "Habits", Zürich', _sending_address())
    assert _header(_html(sent))[1] == "Café &quot;Habits&quot;, Zürich"


def test_a_colour_too_light_for_white_text_is_not_used() -> None:
    # Saved around the form (its contrast check came later, or the shell): the default stays.
    sent = _confirmation(hosted_program(brand_name="Habit Lab", brand_colour="#ffff00"))
    assert _header(_html(sent)) == ("#1d4ed8", "Habit Lab")
    assert "#ffff00" not in _html(sent)


def test_registrant_reminders_are_branded_and_host_reminders_are_not() -> None:
    session = _session(hosted_program(**BRAND))
    registration_create(session=session, email="ada@example.org", name="Ada", now=NOW)
    outbox_dispatch(now=NOW)
    mail.outbox.clear()
    with time_machine.travel(STARTS_AT - timedelta(days=1), tick=False):
        outbox_dispatch()
    by_recipient = {parseaddr(sent.to[0])[1]: sent for sent in mail.outbox}
    registrant = by_recipient.pop("ada@example.org")
    [host] = by_recipient.values()
    assert _from(registrant)[0] == "Habit Lab"
    assert _header(_html(registrant))[1] == "Habit Lab"
    assert _from(host) == ("Convene", _sending_address())
    assert _header(_html(host)) == ("#1d4ed8", "Convene")
    assert "Sent by Convene" in _html(host)


def test_the_commitment_email_is_branded() -> None:
    module = ModuleFactory(program=hosted_program(**BRAND))
    session = _session(module.program)
    session.module = module
    session.save(update_fields=["module"])
    commitment_create(
        session=session,
        participant_name="Ada",
        participant_email="ada@example.org",
        time_zone="Europe/Berlin",
        answers={},
        now=NOW,
    )
    outbox_dispatch(now=NOW)
    [sent] = [m for m in mail.outbox if m.to == ["Ada <ada@example.org>"]]
    assert _from(sent)[0] == "Habit Lab"
    assert _header(_html(sent))[1] == "Habit Lab"
    assert "Convene" not in _html(sent)


def test_the_round_opt_in_email_is_branded() -> None:
    program = hosted_program(**BRAND)
    MemberFactory(program=program, name="Ada", email="ada@example.org")
    round_schedule(
        program=program,
        opt_in_at=NOW,
        match_at=NOW + timedelta(days=2),
        time_zone="Europe/Berlin",
        now=NOW,
    )
    outbox_dispatch(now=NOW)
    [sent] = mail.outbox
    assert _from(sent)[0] == "Habit Lab"
    html = _html(sent)
    assert _header(html) == ("#7c2d12", "Habit Lab")
    assert "background:#7c2d12;color:#ffffff" in html  # the Yes button
    assert "Convene" not in html


def _queries_to_confirm_and_remind(size: int) -> tuple[int, int]:
    """Queries beyond the sends to dispatch the confirmations, then the day-before reminders."""
    session = _session(hosted_program(**BRAND))
    for index in range(size):
        registration_create(
            session=session, email=f"p{index}@example.org", name=f"P{index}", now=NOW
        )
    sent, confirming = dispatch_counting(NOW)
    assert sent == size
    sent, reminding = dispatch_counting(STARTS_AT - timedelta(days=1))
    assert sent == size + 1  # and the host's
    assert sum(_from(m)[0] == "Habit Lab" for m in mail.outbox) == 2 * size
    mail.outbox.clear()
    return confirming, reminding


def test_branded_registrant_emails_cost_no_query_per_message() -> None:
    assert _queries_to_confirm_and_remind(4) == _queries_to_confirm_and_remind(40)
