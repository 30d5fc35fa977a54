"""Creating a commitment from a session, its e-mail and the personal link."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client

from commitments.models import Answer, Commitment, QuestionKind
from commitments.services import commitment_create
from reminders.dispatcher import outbox_dispatch
from tests.factories import ModuleFactory, ProgramFactory, QuestionFactory, SessionFactory

pytestmark = pytest.mark.django_db


def _form(**answers: str) -> dict[str, str]:
    return {
        "participant_name": "Ada Participant",
        "participant_email": "ada@example.org",
        "time_zone": "Europe/Berlin",
        **answers,
    }


def _sent_link() -> str:
    outbox_dispatch()
    assert len(mail.outbox) == 1
    match = re.search(r"https?://\S+/commitments/link/\S+/", mail.outbox[0].body)
    assert match, mail.outbox[0].body
    return match.group(0)


def test_creating_a_commitment_stores_answers_and_emails_the_personal_link(
    client: Client,
) -> None:
    module = ModuleFactory(is_activated=True, commitment_days=14)
    session = SessionFactory(program=module.program, module=module)
    habit = QuestionFactory(module=module, text="What will you do?", position=1)
    scale = QuestionFactory(
        module=module, text="How sure are you?", kind=QuestionKind.SCALE_1_10, position=2
    )
    choice = QuestionFactory(
        module=module,
        text="When?",
        kind=QuestionKind.SINGLE_CHOICE,
        choices="Morning\nEvening",
        position=3,
    )
    response = client.post(
        f"/start/{session.code}/commit/",
        _form(
            **{
                f"question_{habit.pk}": "Walk 20 minutes",
                f"question_{scale.pk}": "8",
                f"question_{choice.pk}": "Evening",
            }
        ),
    )
    commitment = Commitment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/commitments/{commitment.pk}/"
    assert commitment.duration_days == 14
    assert [(a.question_text, a.value) for a in commitment.answers.order_by("position")] == [
        ("What will you do?", "Walk 20 minutes"),
        ("How sure are you?", "8"),
        ("When?", "Evening"),
    ]
    link = _sent_link()
    assert link.startswith("https://convene.example/commitments/link/")
    assert mail.outbox[0].to == ["Ada Participant <ada@example.org>"]
    # The creating browser may see its commitment at once.
    page = client.get(response["Location"]).content.decode()
    assert "Walk 20 minutes" in page


def test_a_missing_required_answer_or_a_bad_choice_is_explained_and_nothing_is_saved(
    client: Client,
) -> None:
    module = ModuleFactory(is_activated=True)
    session = SessionFactory(program=module.program, module=module)
    habit = QuestionFactory(module=module, text="What will you do?")
    choice = QuestionFactory(
        module=module, kind=QuestionKind.SINGLE_CHOICE, choices="Morning\nEvening"
    )
    response = client.post(
        f"/start/{session.code}/commit/",
        _form(**{f"question_{choice.pk}": "Midnight"}, participant_email="not-an-email"),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "This field is required" in page
    assert "Select a valid choice" in page
    assert "Enter a valid email address" in page
    assert f'name="question_{habit.pk}"' in page
    assert Commitment.objects.count() == 0
    assert Answer.objects.count() == 0


def test_a_commitment_made_weeks_after_the_session_gets_its_full_duration_from_that_day(
    client: Client,
) -> None:
    module = ModuleFactory(is_activated=True, commitment_days=21)
    session = SessionFactory(
        program=module.program, module=module, starts_at=datetime(2026, 3, 2, 9, tzinfo=UTC)
    )
    with time_machine.travel(datetime(2026, 4, 20, 22, 30, tzinfo=UTC), tick=False):
        client.post(f"/start/{session.code}/commit/", _form(time_zone="Asia/Tokyo"))
    commitment = Commitment.objects.get()
    # 22:30 UTC is already 21 April in Tokyo: the commitment starts on the participant's day.
    assert commitment.starts_on == date(2026, 4, 21)
    assert commitment.ends_on == date(2026, 5, 11)
    assert commitment.duration_days == 21
    module.commitment_days = 3
    module.save()
    commitment.refresh_from_db()
    assert commitment.duration_days == 21


def test_making_a_question_required_affects_only_later_commitments(client: Client) -> None:
    module = ModuleFactory(is_activated=True)
    session = SessionFactory(program=module.program, module=module)
    question = QuestionFactory(module=module, text="Anything else?", is_required=False)

    first = client.post(f"/start/{session.code}/commit/", _form())
    assert first.status_code == 302
    earlier = Commitment.objects.get()
    assert earlier.answers.get().value == ""

    question.is_required = True
    question.text = "Anything else? (please answer)"
    question.save()

    second = client.post(f"/start/{session.code}/commit/", _form())
    assert second.status_code == 400
    assert "This field is required" in second.content.decode()
    assert Commitment.objects.count() == 1
    # The earlier commitment is untouched and keeps the question as it read then.
    answer = earlier.answers.get()
    assert answer.question_text == "Anything else?"

    question.is_required = False
    question.save()
    assert client.post(f"/start/{session.code}/commit/", _form()).status_code == 302


def test_archived_questions_are_not_asked_but_old_answers_keep_their_text(
    client: Client,
) -> None:
    module = ModuleFactory(is_activated=True)
    session = SessionFactory(program=module.program, module=module)
    question = QuestionFactory(module=module, text="Old question")
    client.post(f"/start/{session.code}/commit/", _form(**{f"question_{question.pk}": "yes"}))
    question.is_archived = True
    question.save()
    page = client.get(f"/start/{session.code}/commit/").content.decode()
    assert "Old question" not in page
    assert client.post(f"/start/{session.code}/commit/", _form()).status_code == 302
    assert Answer.objects.get().question_text == "Old question"


def test_the_personal_link_is_swapped_for_a_cookie_and_dropped_from_the_address(
    client: Client,
) -> None:
    module = ModuleFactory(is_activated=True)
    session = SessionFactory(program=module.program, module=module)
    client.post(f"/start/{session.code}/commit/", _form())
    commitment = Commitment.objects.get()
    path = _sent_link().removeprefix("https://convene.example")

    stranger = Client()
    assert stranger.get(f"/commitments/{commitment.pk}/").status_code == 404
    response = stranger.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/commitments/{commitment.pk}/"
    assert response["Referrer-Policy"] == "no-referrer"
    page = stranger.get(response["Location"])
    assert page.status_code == 200
    assert "no-referrer" not in page.get("Referrer-Policy", "")  # its forms need an Origin

    # Bumping the version revokes the link and the access it gave.
    commitment.token_version += 1
    commitment.save()
    assert stranger.get(f"/commitments/{commitment.pk}/").status_code == 404
    assert Client().get(path).status_code == 404
    assert Client().get("/commitments/link/1-not-a-token/").status_code == 404


def test_links_in_a_branded_programs_emails_use_its_host_name(client: Client) -> None:
    program = ProgramFactory(brand_name="Habit Lab", start_host_name="start.habitlab.example")
    module = ModuleFactory(program=program, is_activated=True)
    session = SessionFactory(program=program, module=module)
    response = client.post(
        f"/start/{session.code}/commit/", _form(), HTTP_HOST="start.habitlab.example"
    )
    assert response.status_code == 302
    link = _sent_link()
    assert link.startswith("https://start.habitlab.example/commitments/link/")
    assert "Habit Lab" in mail.outbox[0].body
    page = Client().get(
        link.removeprefix("https://start.habitlab.example"),
        HTTP_HOST="start.habitlab.example",
        follow=True,
    )
    assert "Habit Lab" in page.content.decode()


def test_the_service_refuses_a_session_whose_module_is_not_activated() -> None:
    from commitments.services import CommitmentsClosed

    module = ModuleFactory(is_activated=False)
    session = SessionFactory(program=module.program, module=module)
    with pytest.raises(CommitmentsClosed):
        commitment_create(
            session=session,
            participant_name="A",
            participant_email="a@example.org",
            time_zone="UTC",
            answers={},
            now=datetime(2026, 1, 1, tzinfo=UTC),
        )
    assert Commitment.objects.count() == 0


def test_an_address_longer_than_the_column_is_refused_on_the_form(client: Client) -> None:
    module = ModuleFactory(is_activated=True)
    session = SessionFactory(program=module.program, module=module)
    long_address = "a" * 64 + "@" + ".".join(["b" * 63] * 3) + ".example.org"
    response = client.post(f"/start/{session.code}/commit/", _form(participant_email=long_address))
    assert response.status_code == 400
    assert "Ensure this value has at most 254 characters" in response.content.decode()
    assert Commitment.objects.count() == 0


def test_the_same_commitment_again_resends_the_link_at_most_every_five_minutes(
    client: Client,
) -> None:
    module = ModuleFactory(is_activated=True)
    session = SessionFactory(program=module.program, module=module)
    start = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        assert client.post(f"/start/{session.code}/commit/", _form()).status_code == 302
    other = Client()
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        again = other.post(
            f"/start/{session.code}/commit/",
            _form(participant_email="ADA@example.org"),
            follow=True,
        )
    assert again.status_code == 200
    page = again.content.decode()
    assert "You already have a commitment for this session" in page
    assert "a few minutes ago" in page
    assert Commitment.objects.count() == 1
    outbox_dispatch()
    assert len(mail.outbox) == 1
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        later = other.post(f"/start/{session.code}/commit/", _form(), follow=True)
        outbox_dispatch()
    assert "We e-mailed your personal link to ada@example.org again" in later.content.decode()
    assert Commitment.objects.count() == 1
    assert len(mail.outbox) == 2
    assert "/commitments/link/" in mail.outbox[1].body
    # The second browser did not get into the commitment by knowing the address.
    commitment = Commitment.objects.get()
    assert other.get(f"/commitments/{commitment.pk}/").status_code == 404


def test_a_new_commitment_is_made_once_the_first_has_ended(client: Client) -> None:
    module = ModuleFactory(is_activated=True, commitment_days=3)
    session = SessionFactory(program=module.program, module=module)
    with time_machine.travel(datetime(2026, 5, 4, 9, 0, tzinfo=UTC), tick=False):
        client.post(f"/start/{session.code}/commit/", _form())
    with time_machine.travel(datetime(2026, 5, 8, 9, 0, tzinfo=UTC), tick=False):
        response = client.post(f"/start/{session.code}/commit/", _form())
    assert response.status_code == 302
    assert Commitment.objects.count() == 2


def test_too_many_commitment_posts_from_one_connection_get_a_429(client: Client) -> None:
    module = ModuleFactory(is_activated=True)
    session = SessionFactory(program=module.program, module=module)
    # Frozen time keeps every post inside one window of the limit.
    with time_machine.travel(datetime(2026, 5, 4, 9, 1, tzinfo=UTC), tick=False):
        responses = [
            client.post(
                f"/start/{session.code}/commit/", _form(participant_email=f"p{n}@example.org")
            )
            for n in range(61)
        ]
    assert [r.status_code for r in responses[:60]] == [302] * 60
    assert responses[60].status_code == 429
    assert "Too many commitment forms were sent" in responses[60].content.decode()
    assert Commitment.objects.count() == 60


def test_one_mailbox_gets_only_a_few_commitment_emails_an_hour_however_it_is_spelt(
    client: Client,
) -> None:
    module = ModuleFactory(is_activated=True)
    session = SessionFactory(program=module.program, module=module)
    with time_machine.travel(datetime(2026, 5, 4, 9, 1, tzinfo=UTC), tick=False):
        responses = [
            client.post(
                f"/start/{session.code}/commit/", _form(participant_email=f"Victim+{n}@Example.org")
            )
            for n in range(6)
        ]
    assert [r.status_code for r in responses] == [302] * 5 + [429]
    assert Commitment.objects.count() == 5
