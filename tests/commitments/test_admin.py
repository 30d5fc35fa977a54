from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import AnswerFactory, CheckInFactory, CommitmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def _changelist_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("factory", "url_name"),
    [
        (AnswerFactory, "admin:commitments_answer_changelist"),
        (CheckInFactory, "admin:commitments_checkin_changelist"),
    ],
)
def test_admin_list_of_answers_and_check_ins_does_not_query_per_row(
    client: Client, factory: type, url_name: str
) -> None:
    # Each row names its commitment, whose name names its module.
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse(url_name)
    factory.create_batch(2)
    few = _changelist_queries(client, url)
    factory.create_batch(8)
    assert _changelist_queries(client, url) == few


def test_admin_lists_and_filters_commitments_ended_early(client: Client) -> None:
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    CommitmentFactory(participant_name="Stopped Early", ended_early_at=timezone.now())
    CommitmentFactory(participant_name="Still Going")
    url = reverse("admin:commitments_commitment_changelist")
    page = client.get(url).content.decode()
    assert "Ended early at" in page
    filtered = client.get(url, {"ended_early_at__isnull": "False"}).content.decode()
    assert "Stopped Early" in filtered
    assert "Still Going" not in filtered
