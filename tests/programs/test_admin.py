from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from programs.models import HostRole, ProgramHost
from tests.factories import ModuleFactory, UserFactory, hosted_program

pytestmark = pytest.mark.django_db


def test_the_admins_program_page_lists_hosts_without_a_query_per_host(
    admin_client: Client,
) -> None:
    program = hosted_program()
    url = reverse("admin:programs_program_change", args=[program.pk])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = admin_client.get(url)
        assert response.status_code == 200
        return len(captured)

    ProgramHost.objects.create(program=program, user=UserFactory(), role=HostRole.HOST)
    queries()  # fills the content-type cache
    few = queries()
    for _ in range(25):
        ProgramHost.objects.create(program=program, user=UserFactory(), role=HostRole.HOST)
    page = admin_client.get(url)
    assert page.text.count('name="host_roles-') > 25  # every host is listed
    assert queries() == few


def test_an_admin_form_with_a_program_that_is_no_id_is_refused_not_a_server_error(
    admin_client: Client,
) -> None:
    module = ModuleFactory(program=hosted_program(), title="Focus")
    response = admin_client.post(
        reverse("admin:programs_module_change", args=[module.pk]),
        {"program": "not-an-id", "title": "Focus\r\nBcc: x@example.org", "position": "1"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Select a valid choice" in page
    assert "Keep this on one line: remove the line break." in page
    module.refresh_from_db()
    assert module.title == "Focus"
