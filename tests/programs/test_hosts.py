from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse

from programs.models import HostInvitation, HostRole, ProgramHost
from reminders.dispatcher import outbox_dispatch
from reminders.models import Message, MessageStatus
from tests.factories import TEST_PASSWORD, UserFactory, hosted_program

pytestmark = pytest.mark.django_db


def _link_in(body: str) -> str:
    match = re.search(r"https://convene\.example(/\S+)", body)
    assert match, body
    return match.group(1)


def test_inviting_an_existing_account_adds_the_host_and_tells_them(
    host, host_client: Client
) -> None:
    program = hosted_program(user=host, name="Sleep Better")
    colleague = UserFactory(email="colleague@example.org")
    response = host_client.post(
        reverse("programs:host_invite", kwargs={"program_id": program.pk}),
        {"email": "Colleague@Example.org", "role": HostRole.HOST},
    )
    assert response.status_code == 302
    assert ProgramHost.objects.filter(program=program, user=colleague, role=HostRole.HOST).exists()
    assert Message.objects.get(kind="host_added").status == MessageStatus.PENDING

    outbox_dispatch()
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [f"{colleague.get_full_name()} <colleague@example.org>"]
    assert "Sleep Better" in email.subject
    assert f"/programs/{program.pk}/" in email.body


def test_inviting_a_new_address_sends_a_link_that_creates_the_account(
    host, host_client: Client
) -> None:
    program = hosted_program(user=host, name="Sleep Better")
    host_client.post(
        reverse("programs:host_invite", kwargs={"program_id": program.pk}),
        {"email": "new@example.org", "role": HostRole.OWNER},
    )
    invitation = HostInvitation.objects.get(program=program)
    overview = host_client.get(reverse("programs:overview", kwargs={"program_id": program.pk}))
    assert "new@example.org" in overview.text and "Invited" in overview.text

    outbox_dispatch()
    link = _link_in(mail.outbox[0].body)
    # A real browser's checks: the CSRF token, and the Origin header its forms send.
    visitor = Client(enforce_csrf_checks=True)
    opened = visitor.get(link)
    assert opened.status_code == 302
    assert opened["Referrer-Policy"] == "no-referrer"
    page = visitor.get(opened["Location"])
    page_url = opened["Location"]
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert token not in page_url
    assert page.status_code == 200
    # The form page itself goes out under the site's default policy, so Chromium sends a
    # real Origin with the form, not `Origin: null`.
    assert page.get("Referrer-Policy") != "no-referrer"
    assert "Create account and accept" in page.text
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    browser = {"HTTP_ORIGIN": "http://testserver", "HTTP_REFERER": f"http://testserver{page_url}"}

    bad = visitor.post(
        page_url, {"name": "New Host", "password": "short", "csrfmiddlewaretoken": csrf}, **browser
    )
    assert bad.status_code == 400
    assert "too short" in bad.text
    assert not ProgramHost.objects.filter(user__email="new@example.org").exists()

    done = visitor.post(
        page_url,
        {"name": "New Host", "password": "a-long-enough-password", "csrfmiddlewaretoken": csrf},
        **browser,
    )
    assert done.status_code == 302
    role = ProgramHost.objects.get(program=program, user__email="new@example.org")
    assert role.role == HostRole.OWNER
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
    assert (
        visitor.get(reverse("programs:overview", kwargs={"program_id": program.pk})).status_code
        == 200
    )
    assert visitor.get(link).status_code == 404  # used once
    assert visitor.get(page_url).status_code == 404


def test_reinviting_revokes_the_earlier_link(host, host_client: Client) -> None:
    program = hosted_program(user=host)
    url = reverse("programs:host_invite", kwargs={"program_id": program.pk})
    host_client.post(url, {"email": "new@example.org", "role": HostRole.HOST})
    outbox_dispatch()
    first_link = _link_in(mail.outbox[0].body)
    host_client.post(url, {"email": "NEW@example.org", "role": HostRole.HOST})
    outbox_dispatch()
    second_link = _link_in(mail.outbox[1].body)
    assert HostInvitation.objects.count() == 1
    assert Client().get(first_link).status_code == 404
    assert Client().get(second_link, follow=True).status_code == 200


def _invite(host_client: Client, program, email: str) -> str:
    host_client.post(
        reverse("programs:host_invite", kwargs={"program_id": program.pk}),
        {"email": email, "role": HostRole.HOST},
    )
    outbox_dispatch()
    return _link_in(mail.outbox[-1].body)


def test_a_signed_in_user_accepts_an_invitation_with_one_click(host, host_client: Client) -> None:
    program = hosted_program(user=host)
    link = _invite(host_client, program, "later@example.org")
    invited = UserFactory(email="Later@example.org")
    client = Client(enforce_csrf_checks=True)
    client.force_login(invited)
    page = client.get(link, follow=True)
    page_url = page.redirect_chain[-1][0]
    assert "Accept the invitation" in page.text
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    accepted = client.post(
        page_url, {"csrfmiddlewaretoken": csrf}, HTTP_ORIGIN="http://testserver", follow=True
    )
    assert accepted.status_code == 200
    assert "You now host" in accepted.text
    assert ProgramHost.objects.filter(program=program, user=invited).exists()


def test_signing_in_after_opening_the_link_keeps_the_invitation_page(
    host, host_client: Client
) -> None:
    program = hosted_program(user=host)
    link = _invite(host_client, program, "later@example.org")
    invited = UserFactory(email="later@example.org")
    client = Client()
    page_url = client.get(link)["Location"]
    assert "Create account and accept" in client.get(page_url).text
    client.force_login(invited)  # the page's "Sign in" link comes back here
    assert "Accept the invitation" in client.get(page_url).text
    assert client.post(page_url).status_code == 302
    assert ProgramHost.objects.filter(program=program, user=invited).exists()


def test_an_invitation_is_not_accepted_by_another_signed_in_account(
    host, host_client: Client
) -> None:
    program = hosted_program(user=host)
    link = _invite(host_client, program, "later@example.org")
    other = UserFactory(email="someone@example.org")
    client = Client()
    client.force_login(other)
    page = client.get(link, follow=True)
    assert (
        "This invitation was sent to later@example.org; you are signed in as someone@example.org."
        in page.text
    )
    assert "Accept the invitation" not in page.text
    refused = client.post(page.redirect_chain[-1][0])
    assert refused.status_code == 403
    assert not ProgramHost.objects.filter(program=program, user=other).exists()
    assert HostInvitation.objects.get(program=program).accepted_at is None


def test_an_invitation_accepted_meanwhile_is_not_accepted_again(host, host_client: Client) -> None:
    program = hosted_program(user=host)
    link = _invite(host_client, program, "later@example.org")
    invited = UserFactory(email="later@example.org")
    first, second = Client(), Client()
    for client in (first, second):
        client.force_login(invited)
    page_url = first.get(link)["Location"]
    assert second.get(link)["Location"] == page_url
    assert first.post(page_url).status_code == 302
    again = second.post(page_url)
    assert again.status_code == 404
    assert "not valid" in again.text
    assert ProgramHost.objects.filter(program=program, user=invited).count() == 1


def test_the_service_refuses_an_invitation_no_longer_open(host) -> None:
    from datetime import UTC, datetime

    from programs import services

    program = hosted_program(user=host)
    invitation = HostInvitation.objects.create(program=program, email="later@example.org")
    stale = HostInvitation.objects.get(pk=invitation.pk)
    invited = UserFactory(email="later@example.org")
    now = datetime(2026, 5, 1, tzinfo=UTC)
    services.invitation_accept(invitation=invitation, user=invited, now=now)
    with pytest.raises(services.InvitationClosed):
        services.invitation_accept(invitation=stale, user=invited, now=now)
    assert ProgramHost.objects.filter(program=program).count() == 2  # the owner and one host


def test_signing_up_on_an_invitation_accepted_meanwhile_keeps_no_account(host) -> None:
    from datetime import UTC, datetime

    from django.contrib.auth import get_user_model

    from programs import services

    program = hosted_program(user=host)
    invitation = HostInvitation.objects.create(program=program, email="later@example.org")
    stale = HostInvitation.objects.get(pk=invitation.pk)
    now = datetime(2026, 5, 1, tzinfo=UTC)
    first = services.invitation_sign_up_and_accept(
        invitation=invitation, name="Ada Lovelace", password=TEST_PASSWORD, now=now
    )
    assert ProgramHost.objects.filter(program=program, user=first).exists()
    # The invitation is re-sent to the same address meanwhile (a new token version): the
    # old page's sign-up must neither make a host nor leave a half-made second account.
    first.delete()
    HostInvitation.objects.filter(pk=invitation.pk).update(
        accepted_at=None, accepted_by=None, token_version=invitation.token_version + 1
    )
    with pytest.raises(services.InvitationClosed):
        services.invitation_sign_up_and_accept(
            invitation=stale, name="Ada Lovelace", password=TEST_PASSWORD, now=now
        )
    assert not get_user_model().objects.filter(email="later@example.org").exists()


def test_invalid_invitation_tokens_answer_404(client: Client) -> None:
    for token in ["nonsense", "1-" + "A" * 43, "zzzzzzzzzzzzzzzz-" + "A" * 43]:
        response = client.get(reverse("programs:invitation", kwargs={"token": token}))
        assert response.status_code == 404
        assert "not valid" in response.text


def test_only_owners_invite_and_bad_addresses_are_refused(host, host_client: Client) -> None:
    owned = hosted_program(user=host)
    response = host_client.post(
        reverse("programs:host_invite", kwargs={"program_id": owned.pk}),
        {"email": "not-an-address"},
    )
    assert response.status_code == 400
    assert "Enter a valid email address." in response.text
    assert not HostInvitation.objects.exists()

    co_hosted = hosted_program(user=host, role=HostRole.HOST)
    response = host_client.post(
        reverse("programs:host_invite", kwargs={"program_id": co_hosted.pk}),
        {"email": "x@example.org", "role": HostRole.HOST},
    )
    assert response.status_code == 403
    assert not HostInvitation.objects.exists()


def test_the_last_owner_cannot_be_removed(host, host_client: Client) -> None:
    program = hosted_program(user=host)
    role = ProgramHost.objects.get(program=program, user=host)
    response = host_client.post(
        reverse("programs:host_remove", kwargs={"program_id": program.pk, "host_role_id": role.pk}),
        follow=True,
    )
    assert "at least one owner" in response.text
    assert ProgramHost.objects.filter(pk=role.pk).exists()


def test_password_reset_by_email_through_the_outbox(client: Client) -> None:
    user = UserFactory(email="forgetful@example.org")
    response = client.post(reverse("password_reset"), {"email": "forgetful@example.org"})
    assert response.status_code == 302
    assert mail.outbox == []  # nothing leaves from the request itself
    assert Message.objects.get(kind="password_reset").recipient_email == "forgetful@example.org"

    outbox_dispatch()
    assert len(mail.outbox) == 1
    link = _link_in(mail.outbox[0].body)
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.text
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "another-good-password", "new_password2": "another-good-password"},
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("another-good-password")


def test_password_reset_for_an_unknown_address_sends_nothing_but_says_the_same(
    client: Client,
) -> None:
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"}, follow=True)
    assert "Check your e-mail" in response.text
    assert not Message.objects.exists()


def test_changing_the_password(host, host_client: Client) -> None:
    response = host_client.post(
        reverse("password_change"),
        {
            "old_password": TEST_PASSWORD,
            "new_password1": "brand-new-secret-1",
            "new_password2": "brand-new-secret-1",
        },
    )
    assert response.status_code == 302
    host.refresh_from_db()
    assert host.check_password("brand-new-secret-1")


def test_sign_out_needs_a_post(host_client: Client) -> None:
    assert host_client.post(reverse("logout")).status_code == 302
    assert host_client.get(reverse("programs:dashboard")).status_code == 302


@override_settings(SIGNUP_OPEN=True)
def test_self_sign_up_when_open(client: Client) -> None:
    form = client.get(reverse("programs:signup")).text
    for label in ("Your name", "E-mail address", "Password"):
        assert f'{label} <span class="required-marker">(required)</span>:' in form
    response = client.post(
        reverse("programs:signup"),
        {
            "name": "Grace Hopper",
            "email": "grace@example.org",
            "password": "a-long-enough-password",
        },
    )
    assert response.status_code == 302
    assert client.get(reverse("programs:dashboard")).status_code == 200
    again = Client().post(
        reverse("programs:signup"),
        {"name": "Imposter", "email": "GRACE@example.org", "password": "a-long-enough-password"},
    )
    assert "exists already" in again.text


@override_settings(SIGNUP_OPEN=False)
def test_self_sign_up_when_closed(client: Client) -> None:
    assert client.get(reverse("programs:signup")).status_code == 404
