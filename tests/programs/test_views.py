from __future__ import annotations

import html
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from programs.models import HostRole, Module, Program, ProgramHost
from tests.factories import ModuleFactory, UserFactory, hosted_program

pytestmark = pytest.mark.django_db


def test_login_page_renders_for_anonymous_visitors(client: Client) -> None:
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b"Sign in" in response.content
    assert b'name="csrfmiddlewaretoken"' in response.content


def test_host_signs_in_with_email_in_any_case(client: Client) -> None:
    user = UserFactory(email="Ada@Example.org")
    response = client.post(
        reverse("login"), {"username": "ada@example.ORG", "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("programs:dashboard")
    assert client.session["_auth_user_id"] == str(user.pk)


def test_wrong_password_shows_an_error_and_does_not_sign_in(client: Client) -> None:
    UserFactory(email="ada@example.org")
    response = client.post(reverse("login"), {"username": "ada@example.org", "password": "nope"})
    assert response.status_code == 200
    assert b"Please enter a correct" in response.content
    assert "_auth_user_id" not in client.session


def test_pages_need_a_signed_in_host(client: Client) -> None:
    response = client.get(reverse("programs:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_dashboard_lists_only_programs_the_host_hosts(host, host_client: Client) -> None:
    mine = hosted_program(user=host, name="Morning Pages")
    ModuleFactory(program=mine, is_activated=True)
    ModuleFactory(program=mine, is_activated=False)
    hosted_program(name="Somebody Else's Program")
    response = host_client.get(reverse("programs:dashboard"))
    assert response.status_code == 200
    assert "Morning Pages" in response.text
    assert "2 modules, 1 activated" in response.text
    assert "Somebody Else" not in response.text


def test_dashboard_empty_state_invites_to_create_a_program(host_client: Client) -> None:
    response = host_client.get(reverse("programs:dashboard"))
    assert "You do not host any program yet." in response.text


def test_creating_a_program_makes_the_creator_its_owner(host, host_client: Client) -> None:
    response = host_client.post(
        reverse("programs:create"),
        {"name": "Focus Club", "description": "Deep work", "time_zone": "America/New_York"},
    )
    program = Program.objects.get(name="Focus Club")
    assert response.status_code == 302
    assert response["Location"] == reverse("programs:overview", kwargs={"program_id": program.pk})
    assert program.time_zone == "America/New_York"
    assert ProgramHost.objects.get(program=program).user == host
    assert ProgramHost.objects.get(program=program).role == HostRole.OWNER


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"name": "", "time_zone": "UTC"}, "name", "This field is required."),
        ({"name": "x" * 201, "time_zone": "UTC"}, "name", "at most 200 characters"),
        ({"name": "Ok", "time_zone": "Mars/Olympus"}, "time_zone", "Select a valid choice."),
    ],
)
def test_bad_program_input_shows_field_errors_and_writes_nothing(
    host_client: Client, data: dict[str, str], field: str, error: str
) -> None:
    response = host_client.post(reverse("programs:create"), data)
    assert response.status_code == 200
    assert error in response.text
    assert 'aria-invalid="true"' in response.text
    assert not Program.objects.exists()


def test_overview_shows_modules_in_order_and_hosts(host, host_client: Client) -> None:
    program = hosted_program(user=host)
    ModuleFactory(program=program, title="Second", position=2)
    ModuleFactory(program=program, title="First", position=1, is_activated=False)
    response = host_client.get(reverse("programs:overview", kwargs={"program_id": program.pk}))
    assert response.status_code == 200
    text = response.text
    assert text.index("First") < text.index("Second")
    assert "Not activated" in text
    assert host.email in text


def test_overview_empty_state_for_modules(host, host_client: Client) -> None:
    program = hosted_program(user=host)
    response = host_client.get(reverse("programs:overview", kwargs={"program_id": program.pk}))
    assert "No modules yet." in response.text


def _host_urls(program: Program, module: Module) -> list[tuple[str, str]]:
    ids = {"program_id": program.pk}
    module_ids = {"program_id": program.pk, "module_id": module.pk}
    return [
        ("get", reverse("programs:overview", kwargs=ids)),
        ("get", reverse("programs:edit", kwargs=ids)),
        ("post", reverse("programs:edit", kwargs=ids)),
        ("get", reverse("programs:module_create", kwargs=ids)),
        ("post", reverse("programs:module_create", kwargs=ids)),
        ("get", reverse("programs:module_edit", kwargs=module_ids)),
        ("post", reverse("programs:module_edit", kwargs=module_ids)),
        ("post", reverse("programs:module_move", kwargs=module_ids)),
        ("post", reverse("programs:module_toggle", kwargs=module_ids)),
        ("post", reverse("programs:host_invite", kwargs=ids)),
    ]


def test_another_hosts_program_module_and_edit_pages_answer_404(host_client: Client) -> None:
    program = hosted_program(name="Not yours")
    module = ModuleFactory(program=program, is_activated=False)
    for method, url in _host_urls(program, module):
        response = getattr(host_client, method)(
            url, {"direction": "up", "title": "x", "email": "a@b.co"}
        )
        assert response.status_code == 404, (method, url)
    module.refresh_from_db()
    assert module.is_activated is False
    assert Program.objects.get(pk=program.pk).name == "Not yours"


def test_a_module_of_another_program_answers_404_under_my_program(
    host, host_client: Client
) -> None:
    mine = hosted_program(user=host)
    theirs = ModuleFactory(program=hosted_program())
    url = reverse("programs:module_edit", kwargs={"program_id": mine.pk, "module_id": theirs.pk})
    assert host_client.get(url).status_code == 404


def test_program_overview_queries_do_not_grow_with_modules(host, host_client: Client) -> None:
    small = hosted_program(user=host)
    large = hosted_program(user=host)
    ModuleFactory.create_batch(3, program=small)
    ModuleFactory.create_batch(60, program=large)

    def count_queries(program: Program) -> int:
        url = reverse("programs:overview", kwargs={"program_id": program.pk})
        with CaptureQueriesContext(connection) as queries:
            response = host_client.get(url)
        assert response.status_code == 200
        return len(queries)

    assert count_queries(small) == count_queries(large)


def test_adding_editing_and_toggling_a_module(host, host_client: Client) -> None:
    program = hosted_program(user=host)
    url = reverse("programs:module_create", kwargs={"program_id": program.pk})
    response = host_client.post(url, {"title": "Breathing", "commitment_days": "10"})
    assert response.status_code == 302
    module = Module.objects.get(program=program)
    assert (module.title, module.commitment_days, module.is_activated) == ("Breathing", 10, False)

    edit = reverse(
        "programs:module_edit", kwargs={"program_id": program.pk, "module_id": module.pk}
    )
    response = host_client.post(edit, {"title": "Breathwork", "commitment_days": "0"})
    assert response.status_code == 200
    assert "greater than or equal to 1" in response.text
    host_client.post(edit, {"title": "Breathwork", "commitment_days": "14", "is_activated": "on"})
    module.refresh_from_db()
    assert (module.title, module.commitment_days, module.is_activated) == ("Breathwork", 14, True)

    toggle = reverse(
        "programs:module_toggle", kwargs={"program_id": program.pk, "module_id": module.pk}
    )
    assert host_client.get(toggle).status_code == 405
    host_client.post(toggle)
    module.refresh_from_db()
    assert module.is_activated is False


def test_reordering_modules_moves_them_up_and_down(host, host_client: Client) -> None:
    program = hosted_program(user=host)
    first, second, third = (
        ModuleFactory(program=program, title=title, position=position)
        for position, title in enumerate(["A", "B", "C"])
    )

    def move(module: Module, direction: str) -> None:
        url = reverse(
            "programs:module_move", kwargs={"program_id": program.pk, "module_id": module.pk}
        )
        assert host_client.post(url, {"direction": direction}).status_code == 302

    move(third, "up")
    assert list(program.modules.order_by("position").values_list("title", flat=True)) == [
        "A",
        "C",
        "B",
    ]
    move(first, "down")
    assert list(program.modules.order_by("position").values_list("title", flat=True)) == [
        "C",
        "A",
        "B",
    ]
    move(third, "up")  # already first: nothing changes
    assert list(program.modules.order_by("position").values_list("title", flat=True)) == [
        "C",
        "A",
        "B",
    ]
    url = reverse("programs:module_move", kwargs={"program_id": program.pk, "module_id": second.pk})
    assert host_client.post(url, {"direction": "sideways"}).status_code == 400


def test_time_zone_switcher_remembers_the_choice(host, host_client: Client) -> None:
    response = host_client.post(
        reverse("programs:set_time_zone"), {"time_zone": "Asia/Tokyo", "next": "/programs/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/programs/"
    page = host_client.get(reverse("programs:dashboard"))
    assert "Times are shown in Tokyo time (Asia/Tokyo, UTC+09:00), the zone you chose" in " ".join(
        re.sub(r"<[^>]+>", "", page.text.replace("&#x27;", "'")).split()
    )


def test_time_zone_switcher_rejects_unknown_zones_and_foreign_redirects(
    host_client: Client,
) -> None:
    response = host_client.post(reverse("programs:set_time_zone"), {"time_zone": "Nowhere/Land"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.text
    response = host_client.post(
        reverse("programs:set_time_zone"), {"time_zone": "UTC", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


@pytest.mark.parametrize("target", ["http://[", "//[::1", "/time-zone/?next=http://[", "-1"])
def test_time_zone_switcher_sends_a_next_that_is_no_url_home(client: Client, target: str) -> None:
    response = client.post(
        reverse("programs:set_time_zone"), {"time_zone": "Asia/Tokyo", "next": target}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session["viewer_time_zone"] == "Asia/Tokyo"


def test_changing_the_zone_from_the_zone_page_returns_to_where_the_visitor_started(
    host_client: Client,
) -> None:
    zone_page = reverse("programs:set_time_zone")
    first = host_client.get(zone_page, {"next": "/programs/"})
    # The footer of the zone page links to the zone page again, wrapping the current address.
    footer_link = re.search(r'href="([^"]*)">Change time zone', first.text).group(1)
    second = host_client.get(html.unescape(footer_link))
    next_value = re.search(r'name="next" value="([^"]*)"', second.text).group(1)
    response = host_client.post(
        zone_page, {"time_zone": "Asia/Tokyo", "next": html.unescape(next_value)}
    )
    assert response["Location"] == "/programs/"
    nested = f"{zone_page}?next={zone_page}%3Fnext%3Dhttps%3A//evil.example/"
    response = host_client.post(zone_page, {"time_zone": "UTC", "next": nested})
    assert response["Location"] == "/"
