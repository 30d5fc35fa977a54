"""How each commitment was made: every way in records its source, an old unmarked address
still works as "unknown", and the figures on the Insights page, in its CSV, in the admin and on
the host's commitment page equal counts made here."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import urlsplit

import pytest
import zxingcpp
from django.test import Client
from django.urls import reverse
from PIL import Image

from commitments.models import Commitment, CommitmentSource
from tests.factories import (
    CommitmentFactory,
    ModuleFactory,
    SessionFactory,
    UserFactory,
    hosted_program,
)

pytestmark = pytest.mark.django_db

FORM = {
    "participant_name": "Ada Participant",
    "participant_email": "ada@example.org",
    "time_zone": "Europe/Berlin",
}


@pytest.fixture
def session(host):
    program = hosted_program(user=host, time_zone="UTC")
    module = ModuleFactory(program=program, is_activated=True, title="Walk daily")
    return SessionFactory(program=program, module=module)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _commit_from_landing(client: Client, landing: str) -> Commitment:
    """Open the landing page, follow its "Create your commitment" button, post the form."""
    page = client.get(landing, follow=True)
    assert page.status_code == 200
    button = re.search(r'<a class="button" href="([^"]+)">Create your commitment</a>', page.text)
    assert button, page.text
    form_url = button.group(1).replace("&amp;", "&")
    assert client.get(form_url).status_code == 200
    response = client.post(form_url, FORM)
    assert response.status_code == 302, response.content.decode()[:500]
    return Commitment.objects.get(participant_email=FORM["participant_email"])


def test_a_typed_session_id_records_session_id(client: Client, session) -> None:
    typed = session.code.lower()
    landing = client.post("/start/", {"code": typed})
    assert landing.status_code == 302
    commitment = _commit_from_landing(client, landing["Location"])
    assert commitment.source == CommitmentSource.SESSION_ID


def test_the_qr_code_leads_to_an_address_that_records_qr_code(
    client: Client, host_client: Client, session
) -> None:
    png = host_client.get(
        f"/commitments/programs/{session.program_id}/sessions/{session.pk}/start-qr.png"
    ).content
    (result,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    commitment = _commit_from_landing(client, _path(result.text))
    assert commitment.source == CommitmentSource.QR_CODE


def test_the_shared_direct_link_records_direct_link(
    client: Client, host_client: Client, session
) -> None:
    panel = host_client.get(
        f"/commitments/programs/{session.program_id}/sessions/{session.pk}/"
    ).text
    direct = re.search(r"<dt>Commitment link</dt>\s*<dd><a href=\"([^\"]+)\"", panel).group(1)
    commitment = _commit_from_landing(client, _path(direct.replace("&amp;", "&")))
    assert commitment.source == CommitmentSource.DIRECT_LINK


def test_the_button_on_the_session_page_records_direct_link(client: Client, session) -> None:
    page = client.get(reverse("sessions_app:public", kwargs={"code": session.code})).text
    link = re.search(r'href="([^"]+)">Create your commitment</a>', page).group(1)
    commitment = _commit_from_landing(client, link)
    assert commitment.source == CommitmentSource.DIRECT_LINK


def test_an_address_printed_before_markers_still_works_and_records_unknown(
    client: Client, session
) -> None:
    # QR codes and links handed out before they carried `?via=` hold the bare landing page.
    commitment = _commit_from_landing(client, f"/start/{session.code}/")
    assert commitment.source == CommitmentSource.UNKNOWN


def test_a_code_in_another_form_keeps_its_marker_through_the_canonical_redirect(
    client: Client, session
) -> None:
    response = client.get(f"/start/{session.code.lower()}/?via=qr")
    assert response.status_code == 302
    assert response["Location"] == f"/start/{session.code}/?via=qr"


def test_an_unknown_marker_records_unknown(client: Client, session) -> None:
    commitment = _commit_from_landing(client, f"/start/{session.code}/?via=carrier-pigeon")
    assert commitment.source == CommitmentSource.UNKNOWN


def _csv(client: Client, url: str) -> list[list[str]]:
    response = client.get(url)
    assert response.status_code == 200
    assert response.content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _summary(html: str, label: str) -> str:
    marker = f"<dt>{label}</dt><dd>"
    start = html.index(marker) + len(marker)
    return html[start : html.index("</dd>", start)]


def test_insights_count_commitments_by_source_per_module(host_client: Client, host) -> None:
    program = hosted_program(user=host, time_zone="UTC")
    walk = ModuleFactory(program=program, title="Walk daily")
    read = ModuleFactory(program=program, title="Read nightly")
    made = {
        walk: [CommitmentSource.SESSION_ID] * 3
        + [CommitmentSource.QR_CODE] * 2
        + [CommitmentSource.UNKNOWN],
        read: [CommitmentSource.DIRECT_LINK] * 4 + [CommitmentSource.QR_CODE],
    }
    for module, sources in made.items():
        for source in sources:
            CommitmentFactory(module=module, source=source)
    CommitmentFactory(source=CommitmentSource.QR_CODE)  # another host's program

    mine = Commitment.objects.filter(module__program=program)
    html = host_client.get(reverse("programs:program_insights", args=[program.pk])).text
    assert _summary(html, "Made by Session ID") == str(mine.filter(source="session_id").count())
    assert _summary(html, "Made by QR code") == str(mine.filter(source="qr_code").count())
    assert _summary(html, "Made by direct link") == str(mine.filter(source="direct_link").count())
    assert _summary(html, "Way in not recorded") == str(mine.filter(source="unknown").count())
    assert "How commitments were made, per module" in html

    url = reverse(
        "programs:program_insights_csv",
        kwargs={"program_id": program.pk, "section": "commitments", "figure": "sources"},
    )
    rows = _csv(host_client, url)
    assert rows[0] == ["Module", "Session ID", "QR code", "Direct link", "Unknown"]
    expected = [
        [module.title]
        + [str(mine.filter(module=module, source=source).count()) for source in CommitmentSource]
        for module in sorted(made, key=lambda module: module.title)
    ]
    assert rows[1:] == expected
    assert expected == [["Read nightly", "0", "1", "4", "0"], ["Walk daily", "3", "2", "0", "1"]]


def test_the_hosts_commitment_page_names_the_way_in(host_client: Client, session) -> None:
    qr = CommitmentFactory(module=session.module, session=session, source="qr_code")
    old = CommitmentFactory(module=session.module, session=session)

    def page(commitment: Commitment) -> str:
        url = reverse(
            "commitments:host_commitment",
            kwargs={"program_id": session.program_id, "commitment_id": commitment.pk},
        )
        return host_client.get(url).text

    assert "Made from: QR code" in page(qr)
    assert "Made from: not recorded" in page(old)


def test_the_admin_lists_and_filters_commitments_by_source(client: Client) -> None:
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    CommitmentFactory(participant_name="Scanned It", source=CommitmentSource.QR_CODE)
    CommitmentFactory(participant_name="Typed It", source=CommitmentSource.SESSION_ID)
    url = reverse("admin:commitments_commitment_changelist")
    page = client.get(url).text
    assert "column-source" in page
    assert "QR code" in page and "Session ID" in page
    filtered = client.get(url, {"source__exact": "qr_code"}).text
    assert "Scanned It" in filtered
    assert "Typed It" not in filtered
