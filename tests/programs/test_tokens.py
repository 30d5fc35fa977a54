"""reminders.tokens: the one lookup every personal link goes through."""

from __future__ import annotations

import pytest
from django.db.models import F
from django.utils.http import int_to_base36

from programs.models import Member
from reminders.tokens import token_make, token_object
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def _token(member: Member, *, purpose: str = "member", version: int | None = None) -> str:
    return token_make(
        purpose=purpose,
        object_id=member.pk,
        version=member.token_version if version is None else version,
    )


def _lookup(token: str) -> Member | None:
    return token_object(token, queryset=Member.objects.all(), purpose="member")


def test_a_current_token_finds_its_object_in_one_query(django_assert_num_queries) -> None:
    member = MemberFactory()
    token = _token(member)

    with django_assert_num_queries(1):
        found = token_object(
            token, queryset=Member.objects.select_related("program"), purpose="member"
        )

    assert found == member
    assert found.program == member.program  # loaded with it: no further query


def test_a_token_for_another_purpose_finds_nothing() -> None:
    member = MemberFactory()

    assert _lookup(_token(member, purpose="opt-in:1")) is None


def test_a_token_of_an_earlier_version_finds_nothing() -> None:
    member = MemberFactory()
    token = _token(member)
    Member.objects.filter(pk=member.pk).update(token_version=F("token_version") + 1)

    assert _lookup(token) is None


def test_a_token_for_an_unknown_id_finds_nothing() -> None:
    member = MemberFactory()
    token = token_make(purpose="member", object_id=member.pk + 1000, version=1)

    assert _lookup(token) is None


def test_a_token_outside_the_queryset_finds_nothing() -> None:
    member = MemberFactory()

    assert (
        token_object(
            _token(member), queryset=Member.objects.exclude(pk=member.pk), purpose="member"
        )
        is None
    )


def test_another_version_field_is_read_when_named() -> None:
    member = MemberFactory()
    # A version only the named field holds (ids and token versions can coincide).
    Member.objects.filter(pk=member.pk).update(token_version=member.program_id + 1)
    token = token_make(purpose="member", object_id=member.pk, version=member.program_id)

    assert _lookup(token) is None
    assert (
        token_object(
            token, queryset=Member.objects.all(), purpose="member", version_field="program_id"
        )
        == member
    )


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "-",
        ".",
        "abc",
        "zz-short",
        "!!-" + "a" * 43,
        "1-" + "a" * 44,
        "1" * 14 + "-" + "a" * 43,
        "!!!!!!!!!!!." + "a" * 43,
        "AAAAAAAAAA." + "a" * 43,
    ],
)
def test_garbage_finds_nothing_without_a_query(garbage: str, django_assert_num_queries) -> None:
    MemberFactory()

    with django_assert_num_queries(0):
        assert _lookup(garbage) is None


def test_a_tampered_signature_finds_nothing() -> None:
    member = MemberFactory()
    token = _token(member)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")

    assert _lookup(tampered) is None


def test_tokens_do_not_reveal_the_id_or_how_many_objects_exist() -> None:
    first, second = MemberFactory(), MemberFactory()
    tokens = [_token(first), _token(second)]
    for member, token in zip([first, second], tokens, strict=True):
        head, _, signature = token.partition(".")
        assert len(head) == 11
        assert len(signature) == 43
        assert not token.startswith(f"{int_to_base36(member.pk)}-")
        assert _lookup(token) == member
    # Consecutive ids give unrelated heads, and the same id another head per purpose.
    assert tokens[0][:11] != tokens[1][:11]
    assert _token(first)[:11] != _token(first, purpose="opt-in:1")[:11]


def test_encrypted_ids_round_trip_over_the_whole_range() -> None:
    from reminders.tokens import _id_decrypt, _id_encrypt

    for object_id in [1, 2, 3, 255, 2**31, 2**32 + 5, 2**62 + 12345, 2**63 - 1]:
        encrypted = _id_encrypt(purpose="member", object_id=object_id)
        assert _id_decrypt(purpose="member", encrypted=encrypted) == object_id


def test_links_e_mailed_before_ids_were_encrypted_still_work() -> None:
    from reminders.tokens import _signature

    member = MemberFactory()
    legacy = (
        f"{int_to_base36(member.pk)}-"
        f"{_signature(purpose='member', object_id=member.pk, version=member.token_version)}"
    )
    assert _lookup(legacy) == member
    Member.objects.filter(pk=member.pk).update(token_version=F("token_version") + 1)
    assert _lookup(legacy) is None


def test_a_made_up_token_of_the_right_shape_finds_nothing() -> None:
    MemberFactory()

    assert _lookup("AAAAAAAAAAA." + "a" * 43) is None
