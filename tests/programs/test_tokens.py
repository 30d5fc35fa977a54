"""programs.tokens: the one lookup every personal link goes through."""

from __future__ import annotations

import pytest
from django.db.models import F

from programs.models import Member
from programs.tokens import token_make, token_object
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
    ["", "-", "abc", "zz-short", "!!-" + "a" * 43, "1-" + "a" * 44, "1" * 14 + "-" + "a" * 43],
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
