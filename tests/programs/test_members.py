"""The roster pages: adding members, deactivating, and CSV upload with a preview."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from programs.models import Member, MemberStatus
from tests.factories import MemberFactory, hosted_program

pytestmark = pytest.mark.django_db


def _csv(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("roster.csv", text.encode("utf-8"), content_type="text/csv")


def test_a_host_adds_a_member_and_sees_them_on_the_roster(host, host_client) -> None:
    program = hosted_program(user=host)
    url = reverse("programs:member_list", kwargs={"program_id": program.pk})
    response = host_client.post(
        url, {"name": "Ada Lovelace", "email": "ada@example.org", "time_zone": "Europe/London"}
    )
    assert response.status_code == 302
    page = host_client.get(url).content.decode()
    assert "Ada Lovelace" in page and "ada@example.org" in page and "Europe/London" in page


def test_the_same_address_in_another_case_is_refused(host, host_client) -> None:
    program = hosted_program(user=host)
    MemberFactory(program=program, email="ada@example.org")
    response = host_client.post(
        reverse("programs:member_list", kwargs={"program_id": program.pk}),
        {"name": "Ada again", "email": "ADA@example.org"},
    )
    assert response.status_code == 400
    assert "is on the roster already" in response.content.decode()
    assert Member.objects.count() == 1


def test_a_host_deactivates_and_reactivates_a_member(host, host_client) -> None:
    program = hosted_program(user=host)
    member = MemberFactory(program=program)
    url = reverse(
        "programs:member_status", kwargs={"program_id": program.pk, "member_id": member.pk}
    )
    host_client.post(url, {"status": "deactivated"})
    member.refresh_from_db()
    assert member.status == MemberStatus.DEACTIVATED
    host_client.post(url, {"status": "active"})
    member.refresh_from_db()
    assert member.status == MemberStatus.ACTIVE
    assert host_client.post(url, {"status": "paused"}).status_code == 400


def test_another_programs_roster_answers_404(host_client) -> None:
    other = hosted_program()
    member = MemberFactory(program=other)
    assert (
        host_client.get(
            reverse("programs:member_list", kwargs={"program_id": other.pk})
        ).status_code
        == 404
    )
    url = reverse("programs:member_status", kwargs={"program_id": other.pk, "member_id": member.pk})
    assert host_client.post(url, {"status": "deactivated"}).status_code == 404


def test_an_upload_shows_row_errors_and_saves_nothing_before_the_import(host, host_client) -> None:
    program = hosted_program(user=host)
    response = host_client.post(
        reverse("programs:member_upload", kwargs={"program_id": program.pk}),
        {
            "file": _csv(
                "name,email,time_zone,category\n"
                "Ada,ada@example.org,Europe/London,maths\n"
                ",nobody@example.org,,\n"
                "Bob,not-an-address,,\n"
                "Cy,cy@example.org,Mars/Olympus,\n"
                "Ada Two,ADA@example.org,,\n"
            )
        },
    )
    assert response.status_code == 200  # the valid row can still be imported
    page = response.content.decode()
    assert "1 new member, 0 updated, 0 unchanged, <strong>4 refused</strong>." in page
    assert "Import 1 valid row, skip 4 refused" in page
    assert "The name is missing." in page
    assert "“not-an-address” is not an e-mail address." in page
    assert "“Mars/Olympus” is not a time zone" in page
    assert "The same e-mail address is on line 2 already." in page
    assert Member.objects.count() == 0


def test_an_upload_is_saved_after_the_preview_and_a_reupload_updates(host, host_client) -> None:
    program = hosted_program(user=host)
    MemberFactory(program=program, name="Old Name", email="ada@example.org")
    upload_url = reverse("programs:member_upload", kwargs={"program_id": program.pk})
    response = host_client.post(
        upload_url,
        {
            "file": _csv(
                "Name;E-mail;Category\nAda Lovelace;ADA@example.org;maths\nBob;bob@example.org;\n"
            )
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "1 new member, 1 updated, 0 unchanged." in page
    assert Member.objects.count() == 1  # nothing saved yet
    key = response.context["key"]
    confirm_url = reverse("programs:member_upload_confirm", kwargs={"program_id": program.pk})
    response = host_client.post(confirm_url, {"key": key}, follow=True)
    assert "Roster saved: 1 added, 1 updated, 0 unchanged." in response.content.decode()
    assert sorted(Member.objects.values_list("name", "email", "category")) == [
        ("Ada Lovelace", "ada@example.org", "maths"),
        ("Bob", "bob@example.org", ""),
    ]
    # The same key cannot be confirmed twice.
    response = host_client.post(confirm_url, {"key": key}, follow=True)
    assert "That upload has expired" in response.content.decode()
    assert Member.objects.count() == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The submitted file is empty."),
        (b"\n", "The first row must name the columns"),
        (b"first,second\n1,2\n", "The first row must name the columns"),
        (b"name,email\n", "The file has a header but no members."),
        (
            b"name,email,E-mail\nAda,ada@example.org,ada@work.example\n",
            "The first row names the same column more than once (email)",
        ),
        ("name,email\nZoë,zoe@example.org\n".encode("latin-1"), "is not UTF-8 text"),
        (
            b"name,email\nAda,ada@example.org\n" + b"Bob,bob@example.org," + b"x" * 140_000,
            "The file could not be read as CSV",
        ),
    ],
)
def test_a_broken_file_gets_a_clear_message(
    host, host_client, content: bytes, message: str
) -> None:
    program = hosted_program(user=host)
    response = host_client.post(
        reverse("programs:member_upload", kwargs={"program_id": program.pk}),
        {"file": SimpleUploadedFile("roster.csv", content, content_type="text/csv")},
    )
    assert response.status_code == 400
    assert message in response.content.decode()


def test_a_nul_character_in_the_roster_search_is_ignored(
    requires_postgres, host, host_client
) -> None:
    program = hosted_program(user=host)
    MemberFactory(program=program, name="Ada Lovelace", email="ada@example.org")
    MemberFactory(program=program, name="Bob Byte", email="bob@example.org")
    url = reverse("programs:member_list", kwargs={"program_id": program.pk})
    response = host_client.get(url, {"q": "\x00ada"})
    assert response.status_code == 200
    assert "ada@example.org" in response.content.decode()
    assert "bob@example.org" not in response.content.decode()


def test_an_address_longer_than_the_column_is_a_row_error(host, host_client) -> None:
    program = hosted_program(user=host)
    long_address = "a" * 64 + "@" + ".".join(["b" * 63] * 3) + ".example.org"
    assert len(long_address) > 254
    response = host_client.post(
        reverse("programs:member_upload", kwargs={"program_id": program.pk}),
        {"file": _csv(f"name,email\nAda,{long_address}\n")},
    )
    assert response.status_code == 400
    assert "The e-mail address is too long (at most 254 characters)." in response.content.decode()
    assert Member.objects.count() == 0


def test_an_upload_with_a_line_break_in_a_name_is_refused_row_by_row(host, host_client) -> None:
    program = hosted_program(user=host)
    response = host_client.post(
        reverse("programs:member_upload", kwargs={"program_id": program.pk}),
        {
            "file": _csv(
                "name,email,category\n"
                '"Ada\r\nBcc: victim@example.org",ada@example.org,maths\n'
                'Bob,bob@example.org,"a\tb"\n'
            )
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "The name: Keep this on one line: remove the line break." in page
    assert "The category: Remove the invisible control character (U+0009)" in page
    assert Member.objects.count() == 0


def test_an_upload_with_nul_characters_is_refused_with_a_reason(host, host_client) -> None:
    program = hosted_program(user=host)
    response = host_client.post(
        reverse("programs:member_upload", kwargs={"program_id": program.pk}),
        {"file": _csv("name,email\nNul\x00Name,nul@example.org\n")},
    )
    assert response.status_code == 400
    assert "NUL characters" in response.content.decode()
    assert Member.objects.count() == 0


KNOWN_ROWS_CSV = (
    "name,email,time_zone,category\n"
    "Ada Lovelace,ada@example.org,Europe/London,maths\n"  # unchanged
    "Bob Byte,BOB@example.org,,\n"  # unchanged (the address in another case)
    "Cy New Name,cy@example.org,,\n"  # updated: the name differs
    "Dee,dee@example.org,,\n"  # new
    "Eve,eve@example.org,Asia/Tokyo,\n"  # new
    "Fay,fay@example.org,,\n"  # new
    ",nameless@example.org,,\n"  # refused: no name
    "Gil,not-an-address,,\n"  # refused: no address
    "Hal,hal@example.org,Mars/Olympus,\n"  # refused: no such zone
    "Dee Again,DEE@example.org,,\n"  # refused: the same address as line 5
)


def _known_roster(program) -> None:
    MemberFactory(
        program=program,
        name="Ada Lovelace",
        email="ada@example.org",
        time_zone="Europe/London",
        category="maths",
    )
    MemberFactory(program=program, name="Bob Byte", email="bob@example.org", time_zone="")
    MemberFactory(program=program, name="Cy", email="cy@example.org", time_zone="")


def test_the_preview_counts_new_updated_unchanged_and_refused_rows(host, host_client) -> None:
    program = hosted_program(user=host)
    _known_roster(program)
    response = host_client.post(
        reverse("programs:member_upload", kwargs={"program_id": program.pk}),
        {"file": _csv(KNOWN_ROWS_CSV)},
    )
    assert response.status_code == 200
    page = response.content.decode()
    # Error rows are not new members, and unchanged rows are not updates.
    assert "3 new members, 1 updated, 2 unchanged, <strong>4 refused</strong>." in page
    assert page.count(">New member<") == 3
    assert page.count(">Updates the member<") == 1
    assert page.count(">Unchanged<") == 2
    refused = page[
        page.index('id="refused-heading"') : page.index(
            "</section>", page.index('id="refused-heading"')
        )
    ]
    assert "Line 8 (nameless@example.org): The name is missing." in refused
    assert "Line 9 (not-an-address): “not-an-address” is not an e-mail address." in refused
    assert "Line 10 (hal@example.org): “Mars/Olympus” is not a time zone" in refused
    assert "Line 11 (DEE@example.org): The same e-mail address is on line 5 already." in refused
    assert "Import 6 valid rows, skip 4 refused" in page
    assert Member.objects.filter(program=program).count() == 3  # nothing saved yet


def test_importing_saves_the_valid_rows_and_skips_the_refused(host, host_client) -> None:
    program = hosted_program(user=host)
    _known_roster(program)
    response = host_client.post(
        reverse("programs:member_upload", kwargs={"program_id": program.pk}),
        {"file": _csv(KNOWN_ROWS_CSV)},
    )
    confirm_url = reverse("programs:member_upload_confirm", kwargs={"program_id": program.pk})
    response = host_client.post(confirm_url, {"key": response.context["key"]}, follow=True)
    assert (
        "Roster saved: 3 added, 1 updated, 2 unchanged. 4 refused rows not imported."
        in response.content.decode()
    )
    assert sorted(Member.objects.filter(program=program).values_list("name", "email")) == [
        ("Ada Lovelace", "ada@example.org"),
        ("Bob Byte", "bob@example.org"),
        ("Cy New Name", "cy@example.org"),
        ("Dee", "dee@example.org"),
        ("Eve", "eve@example.org"),
        ("Fay", "fay@example.org"),
    ]


def test_an_import_that_fails_half_way_saves_none_of_its_rows(
    host, host_client, monkeypatch
) -> None:
    program = hosted_program(user=host)
    response = host_client.post(
        reverse("programs:member_upload", kwargs={"program_id": program.pk}),
        {"file": _csv("name,email\nAda,ada@example.org\nBob,bob@example.org\n")},
    )
    from programs import members

    def broken_replan(**kwargs: object) -> None:
        raise RuntimeError("the replan failed after the rows were written")

    monkeypatch.setattr(members, "program_open_rounds_replan", broken_replan)
    confirm_url = reverse("programs:member_upload_confirm", kwargs={"program_id": program.pk})
    with pytest.raises(RuntimeError):
        host_client.post(confirm_url, {"key": response.context["key"]})
    assert Member.objects.filter(program=program).count() == 0


def test_a_file_with_no_valid_row_offers_no_import(host, host_client) -> None:
    program = hosted_program(user=host)
    response = host_client.post(
        reverse("programs:member_upload", kwargs={"program_id": program.pk}),
        {"file": _csv("name,email\n,a@example.org\nBob,bob\n")},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "0 new members, 0 updated, 0 unchanged, <strong>2 refused</strong>." in page
    assert "No row can be imported" in page
    assert "member_upload_confirm" not in page and "/upload/confirm/" not in page
