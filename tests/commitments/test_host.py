"""Host pages: a module's questions, the commitments lists and CSV, the share panel, QR codes."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest
import zxingcpp
from django.db import connection
from django.template import Context, Template
from django.test import Client
from django.test.utils import CaptureQueriesContext
from PIL import Image

from commitments.models import CheckIn, Commitment, Question, QuestionKind
from sessions_app.models import Session
from tests.factories import (
    AnswerFactory,
    CheckInFactory,
    CommitmentFactory,
    ModuleFactory,
    QuestionFactory,
    SessionFactory,
    UserFactory,
    hosted_program,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def module(host):
    program = hosted_program(user=host)
    return ModuleFactory(program=program, is_activated=True, title="Move more")


@pytest.fixture
def session(module):
    return SessionFactory(program=module.program, module=module, title="Kick-off")


def _questions_url(module) -> str:
    return f"/commitments/programs/{module.program_id}/modules/{module.pk}/questions/"


# Questions ---------------------------------------------------------------------------------


def test_hosts_add_edit_reorder_and_archive_questions(host_client: Client, module) -> None:
    url = _questions_url(module)
    page = host_client.get(url).content.decode()
    assert "Changes apply to future commitments only" in page
    for text, kind, required in [
        ("What will you do?", QuestionKind.SHORT_TEXT, "on"),
        ("How sure are you?", QuestionKind.SCALE_1_10, ""),
    ]:
        response = host_client.post(url, {"text": text, "kind": kind, "is_required": required})
        assert response.status_code == 302
    first, second = Question.objects.order_by("position")
    assert (first.is_required, second.is_required) == (True, False)

    host_client.post(f"{url}{second.pk}/move/", {"direction": "up"})
    assert list(Question.objects.order_by("position").values_list("pk", flat=True)) == [
        second.pk,
        first.pk,
    ]
    host_client.post(
        f"{url}{first.pk}/edit/",
        {"text": "What exactly will you do?", "kind": QuestionKind.LONG_TEXT, "is_required": ""},
    )
    first.refresh_from_db()
    assert (first.text, first.kind, first.is_required) == (
        "What exactly will you do?",
        QuestionKind.LONG_TEXT,
        False,
    )
    host_client.post(f"{url}{second.pk}/archive/")
    page = host_client.get(url).content.decode()
    assert "Archived questions" in page
    assert Question.objects.get(pk=second.pk).is_archived
    host_client.post(f"{url}{second.pk}/archive/")
    assert not Question.objects.get(pk=second.pk).is_archived


def test_a_single_choice_question_needs_two_choices(host_client: Client, module) -> None:
    response = host_client.post(
        _questions_url(module),
        {"text": "When?", "kind": QuestionKind.SINGLE_CHOICE, "choices": "Morning"},
    )
    assert response.status_code == 400
    assert "Give at least two choices" in response.content.decode()
    assert not Question.objects.exists()


def test_another_programs_questions_and_lists_answer_404(host_client: Client) -> None:
    other_module = ModuleFactory()
    other_session = SessionFactory(program=other_module.program, module=other_module)
    question = QuestionFactory(module=other_module)
    base = f"/commitments/programs/{other_module.program_id}"
    for path in [
        f"{base}/modules/{other_module.pk}/questions/",
        f"{base}/modules/{other_module.pk}/questions/{question.pk}/edit/",
        f"{base}/modules/{other_module.pk}/",
        f"{base}/sessions/{other_session.pk}/",
        f"{base}/sessions/{other_session.pk}/start-qr.png",
    ]:
        assert host_client.get(path).status_code == 404, path
    assert (
        host_client.post(
            f"{base}/modules/{other_module.pk}/questions/{question.pk}/archive/"
        ).status_code
        == 404
    )


def test_host_pages_need_a_login(client: Client, module) -> None:
    response = client.get(_questions_url(module))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_program_overview_links_each_module_to_its_questions(
    host_client: Client, module
) -> None:
    page = host_client.get(f"/programs/{module.program_id}/").content.decode()
    assert _questions_url(module) in page


# Commitments lists -------------------------------------------------------------------------


def test_the_session_list_shows_check_in_progress_and_exports_csv(
    host_client: Client, session
) -> None:
    question = QuestionFactory(module=session.module, text="What will you do?")
    commitment = CommitmentFactory(
        module=session.module,
        session=session,
        participant_name="Grace Hopper",
        starts_on=date(2026, 5, 1),
        duration_days=7,
        ends_on=date(2026, 5, 7),
    )
    AnswerFactory(commitment=commitment, question=question, value="Walk, daily")
    CheckInFactory(commitment=commitment, day=date(2026, 5, 1), is_done=True)
    CheckInFactory(commitment=commitment, day=date(2026, 5, 2), is_done=False)
    CheckInFactory(commitment=commitment, day=date(2026, 5, 3), is_done=True)
    url = f"/commitments/programs/{session.program_id}/sessions/{session.pk}/"
    page = host_client.get(url).content.decode()
    assert "Grace Hopper" in page
    assert "2 of 7 done" in page
    assert "3 May 2026" in page

    response = host_client.get(f"{url}?format=csv")
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")  # so Excel reads it as UTF-8
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 1
    assert rows[0]["name"] == "Grace Hopper"
    assert rows[0]["session_id"] == session.display_code
    assert rows[0]["days_done"] == "2"
    assert rows[0]["check_ins"] == "3"
    assert rows[0]["last_check_in"] == "2026-05-03"
    assert rows[0]["What will you do?"] == "Walk, daily"


def test_the_csv_export_writes_formula_like_cells_as_plain_text(
    host_client: Client, session
) -> None:
    question = QuestionFactory(module=session.module, text="@What will you do?")
    commitment = CommitmentFactory(
        module=session.module,
        session=session,
        participant_name='=HYPERLINK("https://evil.example","Click")',
        reflection="+1 for walking",
    )
    AnswerFactory(commitment=commitment, question=question, value="-2+3")
    url = f"/commitments/programs/{session.program_id}/sessions/{session.pk}/?format=csv"
    rows = list(csv.DictReader(io.StringIO(host_client.get(url).content.decode("utf-8-sig"))))
    assert rows[0]["name"] == '\'=HYPERLINK("https://evil.example","Click")'
    assert rows[0]["reflection"] == "'+1 for walking"
    assert rows[0]["'@What will you do?"] == "'-2+3"


def test_the_module_list_covers_all_its_sessions(host_client: Client, module) -> None:
    first = SessionFactory(program=module.program, module=module, title="First")
    second = SessionFactory(program=module.program, module=module, title="Second")
    CommitmentFactory(module=module, session=first, participant_name="From first")
    CommitmentFactory(module=module, session=second, participant_name="From second")
    CommitmentFactory(participant_name="Elsewhere")
    page = host_client.get(
        f"/commitments/programs/{module.program_id}/modules/{module.pk}/"
    ).content.decode()
    assert "From first" in page and "From second" in page
    assert "Elsewhere" not in page
    assert "2 commitments" in page


def _bulk_commitments(session: Session, count: int) -> None:
    starts_on = date(2026, 5, 1)
    commitments = Commitment.objects.bulk_create(
        [
            Commitment(
                session=session,
                module=session.module,
                participant_name=f"Person {n}",
                participant_email=f"person{n}@example.org",
                time_zone="Europe/Berlin",
                starts_on=starts_on,
                duration_days=7,
                ends_on=starts_on + timedelta(days=6),
                created_at=session.starts_at,
            )
            for n in range(count)
        ]
    )
    CheckIn.objects.bulk_create(
        [
            CheckIn(
                commitment=commitment,
                day=starts_on + timedelta(days=offset),
                is_done=offset % 2 == 0,
                created_at=session.starts_at,
                updated_at=session.starts_at,
            )
            for commitment in commitments
            for offset in range(3)
        ]
    )


def _count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_host_lists_issue_the_same_number_of_queries_for_2000_commitments(
    host_client: Client, module
) -> None:
    session = SessionFactory(program=module.program, module=module)
    QuestionFactory(module=module)
    urls = [
        f"/commitments/programs/{module.program_id}/sessions/{session.pk}/",
        f"/commitments/programs/{module.program_id}/sessions/{session.pk}/?format=csv",
        f"/commitments/programs/{module.program_id}/modules/{module.pk}/",
        f"/commitments/programs/{module.program_id}/modules/{module.pk}/?format=csv",
    ]
    _bulk_commitments(session, 3)
    few = [_count_queries(host_client, url) for url in urls]
    _bulk_commitments(session, 1997)
    many = [_count_queries(host_client, url) for url in urls]
    assert few == many
    assert "2000 commitments" in host_client.get(urls[0]).content.decode()
    assert len(host_client.get(urls[1]).content.decode().splitlines()) == 2001


# Share panel and QR codes ------------------------------------------------------------------


def test_the_share_panel_shows_the_access_details_only_while_the_module_is_activated(
    host_client: Client, session
) -> None:
    url = f"/commitments/programs/{session.program_id}/sessions/{session.pk}/"
    page = host_client.get(url).content.decode()
    assert "Commitment Creation Instructions" in page
    assert session.display_code in page
    assert "https://convene.example/start/" in page
    assert f"https://convene.example/start/{session.code}/" in page
    assert "Generate QR code" in page
    assert "start-qr.png?download=1" in page and "start-qr.svg?download=1" in page

    session.module.is_activated = False
    session.module.save()
    page = host_client.get(url).content.decode()
    assert session.display_code not in page
    assert "once the session's module is activated" in page
    qr = host_client.get(
        f"/commitments/programs/{session.program_id}/sessions/{session.pk}/start-qr.png"
    )
    assert qr.status_code == 404


def test_the_share_panel_uses_the_programs_own_host_name(host) -> None:
    program = hosted_program(user=host, start_host_name="start.habitlab.example")
    module = ModuleFactory(program=program, is_activated=True)
    session = SessionFactory(program=program, module=module)
    html = Template("{% load commitments_tags %}{% session_share_panel session %}").render(
        Context({"session": session})
    )
    assert f"https://start.habitlab.example/start/{session.code}/" in html
    assert "https://start.habitlab.example/start/" in html


def test_the_share_panel_issues_no_query_for_prefetched_sessions(module) -> None:
    for _ in range(3):
        SessionFactory(program=module.program, module=module)
    SessionFactory(program=module.program, module=None)
    sessions = list(Session.objects.select_related("module", "program"))
    template = Template(
        "{% load commitments_tags %}{% for s in sessions %}{% session_share_panel s %}{% endfor %}"
    )
    with CaptureQueriesContext(connection) as queries:
        html = template.render(Context({"sessions": sessions}))
    assert len(queries) == 0
    assert html.count("Commitment Creation Instructions") == 4


def _decode(image: Image.Image) -> str:
    results = zxingcpp.read_barcodes(image)
    assert len(results) == 1
    return results[0].text


def _svg_to_image(svg: str, scale: int = 10) -> Image.Image:
    """Rebuild the module grid from the SVG's path of unit squares and draw it with PIL.

    No SVG renderer is installed, so this reads the geometry the SVG itself carries (its
    viewBox and every `Mx,yH…V…H…z` square) rather than trusting the PNG.
    """
    view_box = re.search(r'viewBox="0 0 (\d+) (\d+)"', svg)
    assert view_box
    width, height = int(view_box.group(1)), int(view_box.group(2))
    squares = re.findall(r"M(\d+),(\d+)H(\d+)V(\d+)H(\d+)z", svg)
    assert squares
    image = Image.new("L", (width * scale, height * scale), 255)
    pixels = image.load()
    for x, y, x2, y2, x3 in squares:
        x, y = int(x), int(y)
        assert (int(x2), int(y2), int(x3)) == (x + 1, y + 1, x)
        for dx in range(scale):
            for dy in range(scale):
                pixels[x * scale + dx, y * scale + dy] = 0
    return image


def test_qr_codes_decode_back_to_the_landing_page_marked_as_qr_as_png_and_svg(
    host_client: Client, session
) -> None:
    base = f"/commitments/programs/{session.program_id}/sessions/{session.pk}/start-qr"
    expected = f"https://convene.example/start/{session.code}/?via=qr"

    png = host_client.get(f"{base}.png")
    assert png.status_code == 200
    assert png["Content-Type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
    assert _decode(Image.open(io.BytesIO(png.content))) == expected

    svg = host_client.get(f"{base}.svg")
    assert svg["Content-Type"] == "image/svg+xml"
    assert _decode(_svg_to_image(svg.content.decode())) == expected

    download = host_client.get(f"{base}.svg?download=1")
    assert f'filename="session-{session.code}-qr.svg"' in download["Content-Disposition"]


def test_qr_codes_are_cached_by_content(host_client: Client, session) -> None:
    url = f"/commitments/programs/{session.program_id}/sessions/{session.pk}/start-qr.png"
    first = host_client.get(url)
    assert "max-age" in first["Cache-Control"]
    etag = first["ETag"]
    again = host_client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again["ETag"] == etag
    # Another session encodes another link, so it has another ETag.
    other = SessionFactory(program=session.program, module=session.module)
    other_url = f"/commitments/programs/{session.program_id}/sessions/{other.pk}/start-qr.png"
    assert host_client.get(other_url)["ETag"] != etag


def test_a_branded_programs_qr_code_carries_its_host_name(host) -> None:
    program = hosted_program(user=host, start_host_name="start.habitlab.example")
    module = ModuleFactory(program=program, is_activated=True)
    session = SessionFactory(program=program, module=module)
    client = Client()
    client.force_login(host)
    png = client.get(f"/commitments/programs/{program.pk}/sessions/{session.pk}/start-qr.png")
    assert _decode(Image.open(io.BytesIO(png.content))) == (
        f"https://start.habitlab.example/start/{session.code}/?via=qr"
    )


def test_a_co_host_of_the_session_gets_its_qr_code_and_commitments(session) -> None:
    co_host = UserFactory(email="co@example.org")
    session.co_hosts.add(co_host)
    client = Client()
    client.force_login(co_host)
    base = f"/commitments/programs/{session.program_id}/sessions/{session.pk}"
    assert client.get(f"{base}/start-qr.png").status_code == 200
    assert client.get(f"{base}/").status_code == 200
    stranger = Client()
    stranger.force_login(UserFactory())
    assert stranger.get(f"{base}/start-qr.png").status_code == 404
