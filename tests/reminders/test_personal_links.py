"""The one personal-link mechanism: what the browser keeps after following a link."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from commitments.emails import commitment_url
from sessions_app.tokens import join_token
from tests.factories import CommitmentFactory, RegistrationFactory, hosted_session

pytestmark = pytest.mark.django_db


def _follow(client: Client, url: str):
    response = client.get(urlsplit(url).path)
    assert response.status_code == 302
    return response


def test_the_browser_keeps_no_usable_link_and_cannot_move_its_credential() -> None:
    first, second = CommitmentFactory(), CommitmentFactory()
    browser = Client()
    response = _follow(browser, commitment_url(first))
    name = f"convene_commitment_{first.pk}"
    cookie = response.cookies[name]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie["path"] == f"/commitments/{first.pk}/"
    token = urlsplit(commitment_url(first)).path.split("/")[3]
    assert token not in cookie.value

    # The cookie's value is no link: pasted as an address it opens nothing.
    inner = cookie.value.split(":")[0]
    assert Client().get(f"/commitments/link/{inner}/").status_code == 404
    # Renamed for another commitment, it opens neither.
    thief = Client()
    thief.cookies[f"convene_commitment_{second.pk}"] = cookie.value
    assert thief.get(f"/commitments/{second.pk}/").status_code == 404
    assert browser.get(f"/commitments/{first.pk}/").status_code == 200


def test_a_join_cookie_from_before_still_works_until_its_link_is_replaced() -> None:
    session = hosted_session()
    registration = RegistrationFactory(session=session)
    page = reverse("sessions_app:my_registration", kwargs={"code": session.code})
    browser = Client()
    # Join cookies used to hold the link's own token.
    browser.cookies[f"convene_join_{session.pk}"] = join_token(registration)
    assert browser.get(page).status_code == 200

    registration.token_version += 1
    registration.save()
    assert browser.get(page).status_code == 403


def test_a_commitment_mark_from_before_in_the_django_session_still_opens_its_page() -> None:
    commitment = CommitmentFactory()
    browser = Client()
    session = browser.session
    # What following the e-mailed link left in the browser's Django session before.
    session["link_access"] = {f"commitment:{commitment.pk}": commitment.token_version}
    session.save()
    assert browser.get(f"/commitments/{commitment.pk}/").status_code == 200

    commitment.token_version += 1
    commitment.save()
    assert browser.get(f"/commitments/{commitment.pk}/").status_code == 404
