"""reminders.tokens: the one lookup every personal link goes through."""

from __future__ import annotations

import base64

import pytest
from django.db.models import F
from django.utils.crypto import salted_hmac
from django.utils.http import int_to_base36

from programs.models import Member
from reminders.tokens import _claimed_object_id, token_make, token_object
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


# Made by the tokens module before its HMAC keys were derived once per process (salted_hmac
# on every call), under this key: links already sent must keep working, byte for byte.
LEGACY_KEY = "convene-token-format-fixed-key-0123456789abcdef"
LEGACY_TOKENS = [
    ("join", 1, 1, "01YW5LaioLk.lSfeIdbN9MFJKw4scXmSJj6Az_ss4sTXvg1ZrymYxxU"),
    ("join", 123456789, 3, "vxswVBQgo6M.kZ_L-wZ1qRSCBCkvUkXx2V4UMQ2DG9PIe4x0huSbOn0"),
    (
        "unsubscribe:session-reminders",
        42,
        1,
        "lqZBXaGGlbE.-2Qm1CN9y_ME6z85vbO1ZB87xMP14cfChACR5Oa9Rxs",
    ),
    ("calendar-feed", 2**40 + 7, 2, "IbSRZzvRU4Q.o047hvbxeP2jx8JyYfcjoURIMxr2r7sV2Tv3-5eng9U"),
]


@pytest.mark.parametrize(("purpose", "object_id", "version", "token"), LEGACY_TOKENS)
def test_tokens_made_before_are_made_the_same_and_still_name_their_object(
    settings, purpose: str, object_id: int, version: int, token: str
) -> None:
    settings.SECRET_KEY = LEGACY_KEY

    assert token_make(purpose=purpose, object_id=object_id, version=version) == token
    assert _claimed_object_id(token, purpose=purpose) == (object_id, token.partition(".")[2])


def test_a_new_secret_key_makes_new_tokens(settings) -> None:
    settings.SECRET_KEY = LEGACY_KEY
    before = token_make(purpose="join", object_id=1, version=1)
    settings.SECRET_KEY = LEGACY_KEY + "-rotated"

    assert token_make(purpose="join", object_id=1, version=1) != before


def test_a_legacy_token_opens_its_object(settings) -> None:
    member = MemberFactory()
    settings.SECRET_KEY = LEGACY_KEY
    # The signature exactly as salted_hmac made it before.
    digest = salted_hmac(
        "convene.tokens.member", f"{member.pk}:{member.token_version}", algorithm="sha256"
    ).digest()
    signature = base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")

    assert _token(member).endswith(f".{signature}")
    assert _lookup(_token(member)) == member
