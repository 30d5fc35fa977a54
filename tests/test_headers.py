"""Security and privacy headers: Content-Security-Policy, Permissions-Policy, Cache-Control."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from commitments.emails import commitment_url
from tests.factories import CommitmentFactory, RegistrationFactory, UserFactory, hosted_session
from tests.sessions_app.room_support import attendee_client, host_room_url, prejoin_url

pytestmark = pytest.mark.django_db

PROVIDER = "https://media.convene.example"


def _directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in header.split(";") if part.strip())
    }


def _assert_private(response) -> None:
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= cache_control, response["Cache-Control"]


def _assert_strict_scripts(response) -> None:
    directives = _directives(response)
    assert directives["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in directives["style-src"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]


def _assert_no_devices(response) -> None:
    policy = response["Permissions-Policy"]
    for feature in ("camera", "microphone", "display-capture"):
        assert f"{feature}=()" in policy


@pytest.fixture
def session(host):
    return hosted_session(
        user=host, starts_at=timezone.now() + timedelta(minutes=5), time_zone="Europe/Berlin"
    )


def test_host_pages_and_the_csv_export_are_private_and_allow_no_devices(
    host_client: Client, session
) -> None:
    RegistrationFactory(session=session, name="Ada Lovelace", email="ada@example.org")
    urls = [
        reverse("programs:dashboard"),
        reverse("sessions_app:dashboard", kwargs={"session_id": session.pk}),
        reverse("sessions_app:my_sessions"),
        reverse("sessions_app:registrations_csv", kwargs={"session_id": session.pk}),
    ]
    for url in urls:
        response = host_client.get(url)
        assert response.status_code == 200, url
        _assert_private(response)
        _assert_strict_scripts(response)
        _assert_no_devices(response)
        assert PROVIDER not in response["Content-Security-Policy"]


def test_public_and_personal_pages_are_private(client: Client, session) -> None:
    commitment = CommitmentFactory(session=session)
    public = client.get(reverse("sessions_app:public", kwargs={"code": session.code}))
    assert public.status_code == 200
    _assert_private(public)
    _assert_strict_scripts(public)
    personal = client.get(urlsplit(commitment_url(commitment)).path, follow=True)
    assert personal.status_code == 200
    assert commitment.participant_name in personal.text
    _assert_private(personal)
    _assert_strict_scripts(personal)
    _assert_no_devices(personal)


def test_the_admin_is_private_under_the_same_policy(client: Client, session) -> None:
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get(reverse("admin:sessions_app_session_change", args=[session.pk]))
    assert response.status_code == 200
    _assert_private(response)
    _assert_strict_scripts(response)


@override_settings(VIDEO_PROVIDER_BASE_URL=f"{PROVIDER}/rooms")
def test_only_room_pages_let_the_provider_in_and_allow_camera_and_microphone(
    host_client: Client, session
) -> None:
    registration = RegistrationFactory(session=session)
    prejoin = attendee_client(registration).get(prejoin_url(session))
    host_room = host_client.get(host_room_url(session))
    for response in (prejoin, host_room):
        assert response.status_code == 200
        _assert_private(response)
        _assert_strict_scripts(response)
        assert _directives(response)["frame-src"] == [PROVIDER]
        policy = response["Permissions-Policy"]
        for feature in ("camera", "microphone", "display-capture"):
            assert f'{feature}=(self "{PROVIDER}")' in policy
        assert "geolocation=()" in policy
    dashboard = host_client.get(
        reverse("sessions_app:dashboard", kwargs={"session_id": session.pk})
    )
    assert _directives(dashboard)["frame-src"] == ["'none'"]


def test_a_branded_page_styles_its_colour_with_the_requests_nonce(client: Client, session) -> None:
    program = session.program
    program.start_host_name = "learn.example.org"
    program.brand_name = "Learn"
    program.brand_colour = "#123456"
    program.save()
    response = client.get(reverse("commitments:start"), HTTP_HOST="learn.example.org")
    assert response.status_code == 200
    nonces = [value for value in _directives(response)["style-src"] if value.startswith("'nonce-")]
    assert len(nonces) == 1
    nonce = nonces[0].removeprefix("'nonce-").removesuffix("'")
    assert f'<style nonce="{nonce}">:root {{ --brand: #123456; }}</style>' in response.text


def test_no_template_has_inline_script_handlers_or_style_attributes() -> None:
    root = Path(__file__).resolve().parent.parent / "templates"
    offenders = []
    pattern = re.compile(r"<script(?![^>]*\bsrc=)|\son[a-z]+=|javascript:|\sstyle=", re.I)
    for path in root.rglob("*.html"):
        if "emails" in path.parts:
            continue  # e-mail HTML is styled inline for mail clients, never served as a page
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if pattern.search(line):
                offenders.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    assert offenders == []
