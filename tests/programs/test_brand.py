from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from programs.models import Program
from tests.factories import SessionFactory, hosted_program

pytestmark = pytest.mark.django_db


def _png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 32), "#123456").save(buffer, format="PNG")
    return SimpleUploadedFile("logo.png", buffer.getvalue(), content_type="image/png")


def test_hosts_set_the_brand_and_participants_see_it_on_the_programs_host_name(
    host, host_client: Client, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    program = hosted_program(user=host)
    response = host_client.post(
        reverse("programs:brand", kwargs={"program_id": program.pk}),
        {
            "brand_name": "Habit Hub",
            "brand_colour": "#1D4ED8",
            "start_host_name": "Start.Habits.Example",
            "brand_logo": _png(),
        },
    )
    assert response.status_code == 302
    program.refresh_from_db()
    assert (program.brand_colour, program.start_host_name) == ("#1d4ed8", "start.habits.example")

    session = SessionFactory(program=program)
    branded = Client(HTTP_HOST="start.habits.example").get(
        reverse("sessions_app:public", kwargs={"code": session.code})
    )
    assert "Habit Hub" in branded.text
    assert "--brand: #1d4ed8" in branded.text
    assert 'class="brand-logo"' in branded.text
    # The logo is served by the app (uploads are not served as /media/ in production).
    logo_url = re.search(r'<img class="brand-logo" src="([^"]+)"', branded.text).group(1)
    logo = Client(HTTP_HOST="start.habits.example").get(logo_url)
    assert logo.status_code == 200
    assert logo["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(b"".join(logo.streaming_content))).size == (64, 32)
    plain = Client().get(reverse("sessions_app:public", kwargs={"code": session.code}))
    assert 'class="brand-logo"' not in plain.text
    assert "--brand:" not in plain.text


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"brand_colour": "#ffff00"}, "choose a darker colour"),
        ({"brand_colour": "blue"}, "Use a colour like #1d4ed8."),
        ({"brand_colour": "#zzzzzz"}, "Use a colour like #1d4ed8."),
        ({"brand_colour": "#12345g"}, "Use a colour like #1d4ed8."),
        ({"start_host_name": "https://start.example.org/x"}, "Enter a host name like"),
        ({"start_host_name": "convene.example"}, "Convene&#x27;s own host name"),
    ],
)
def test_bad_brand_settings_are_refused_with_a_reason(
    host, host_client: Client, data, error
) -> None:
    program = hosted_program(user=host)
    response = host_client.post(reverse("programs:brand", kwargs={"program_id": program.pk}), data)
    assert response.status_code == 400
    assert error in response.text
    assert Program.objects.get(pk=program.pk).brand_colour == ""


def _image(image_format: str, name: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "#123456").save(buffer, format=image_format)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def test_a_logo_must_be_png_or_jpeg_and_is_stored_under_a_name_of_ours(
    host, host_client: Client, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    program = hosted_program(user=host)
    url = reverse("programs:brand", kwargs={"program_id": program.pk})
    refused = host_client.post(url, {"brand_logo": _image("GIF", "logo.png")})
    assert refused.status_code == 400
    assert "The logo must be a PNG or JPEG image." in refused.text
    assert not Program.objects.get(pk=program.pk).brand_logo

    assert host_client.post(url, {"brand_logo": _image("JPEG", "My Logo.JPEG")}).status_code == 302
    stored = Program.objects.get(pk=program.pk).brand_logo.name
    assert stored.startswith("brand-logos/logo") and stored.endswith(".jpg")


def test_logo_urls_of_other_or_missing_logos_answer_404(host, settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path
    plain = hosted_program(user=host)
    url = reverse("programs:brand_logo", kwargs={"program_id": plain.pk, "name": "logo.png"})
    assert Client().get(url).status_code == 404
    assert Client().get("/media/brand-logos/logo.png").status_code == 404


def test_a_host_name_belongs_to_one_program_only(host, host_client: Client) -> None:
    hosted_program(start_host_name="start.taken.example")
    program = hosted_program(user=host)
    response = host_client.post(
        reverse("programs:brand", kwargs={"program_id": program.pk}),
        {"start_host_name": "start.taken.example"},
    )
    assert response.status_code == 400
    assert "Another program already uses this start host name." in response.text


def test_another_hosts_branding_page_answers_404(host_client: Client) -> None:
    program = hosted_program()
    assert (
        host_client.get(reverse("programs:brand", kwargs={"program_id": program.pk})).status_code
        == 404
    )
