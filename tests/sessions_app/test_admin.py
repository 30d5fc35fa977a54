from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from sessions_app import services
from sessions_app.models import (
    CalendarFeed,
    Registration,
    RegistrationAnswer,
    RegistrationQuestion,
    Session,
)
from tests.factories import RegistrationQuestionFactory, UserFactory, hosted_session

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "model", [Session, Registration, RegistrationQuestion, RegistrationAnswer, CalendarFeed]
)
def test_admin_lists_searches_and_opens_every_sessions_model(client: Client, model: type) -> None:
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    session = hosted_session()
    question = RegistrationQuestionFactory(session=session)
    services.registration_create(
        session=session,
        email="ada@example.org",
        name="Ada",
        answers=[(question, "yes")],
        now=timezone.now(),
    )
    services.calendar_feed_for(user=admin_user)
    opts = model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert client.get(changelist).status_code == 200
    assert client.get(changelist, {"q": "ada"}).status_code == 200
    obj = model.objects.first()
    change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    assert client.get(change).status_code == 200
