"""Personal link tokens: an HMAC over (purpose, object id, version), nothing usable stored.

A token reads `<11 characters>.<43 characters>`:

1. the object's id, encrypted under SECRET_KEY and the purpose with a four-round Feistel
   network whose round function is HMAC-SHA256 (Luby-Rackoff: a keyed pseudo-random
   permutation of 64-bit ids), so that a token names its object for the lookup without
   telling anyone the id, or how many objects were made before it;
2. 256 bits of HMAC-SHA256 under SECRET_KEY over (purpose, id, version).

Bumping the object's version revokes every token issued for the previous one, as Django's
password-reset tokens do with the password hash.

Tokens e-mailed before ids were encrypted read `<id in base 36>-<43 characters>`; they are
still accepted (they tell their holder nothing new), and none is made any more.

Every HMAC is Django's `salted_hmac` (key = SHA-256 of salt and secret, then HMAC-SHA256),
computed with each salt's key derived once per process and secret rather than per call: the
dispatcher makes about ten of them per e-mail. The bytes are the same, so every link ever sent
stays valid (tests/programs/test_tokens.py holds some made before).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from functools import lru_cache
from typing import TypeVar

from django.conf import settings
from django.db.models import Model, QuerySet
from django.utils.crypto import constant_time_compare
from django.utils.http import base36_to_int

ModelT = TypeVar("ModelT", bound=Model)

_ROUNDS = 4
_HALF = 0xFFFFFFFF


@lru_cache(maxsize=256)
def _key(salt: str, secret: str) -> bytes:
    """The HMAC key `salted_hmac(salt, …, secret=secret, algorithm="sha256")` derives."""
    return hashlib.sha256(salt.encode() + secret.encode()).digest()


def _salted_digest(salt: str, value: str) -> bytes:
    return hmac.digest(_key(salt, settings.SECRET_KEY), value.encode(), "sha256")


def _signature(*, purpose: str, object_id: int, version: int) -> str:
    digest = _salted_digest(f"convene.tokens.{purpose}", f"{object_id}:{version}")
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def _round(*, purpose: str, index: int, half: int) -> int:
    digest = _salted_digest(f"convene.tokens.id.{purpose}", f"{index}:{half}")
    return int.from_bytes(digest[:4], "big")


def _id_encrypt(*, purpose: str, object_id: int) -> str:
    left, right = object_id >> 32 & _HALF, object_id & _HALF
    for index in range(_ROUNDS):
        left, right = right, left ^ _round(purpose=purpose, index=index, half=right)
    block = (left << 32 | right).to_bytes(8, "big")
    return base64.urlsafe_b64encode(block).decode("ascii").rstrip("=")


def _id_decrypt(*, purpose: str, encrypted: str) -> int | None:
    try:
        block = base64.urlsafe_b64decode(encrypted + "=")
    except (binascii.Error, ValueError):
        return None
    if len(block) != 8:
        return None
    number = int.from_bytes(block, "big")
    left, right = number >> 32, number & _HALF
    for index in reversed(range(_ROUNDS)):
        left, right = right ^ _round(purpose=purpose, index=index, half=left), left
    return left << 32 | right


def token_make(*, purpose: str, object_id: int, version: int) -> str:
    return _token_make(purpose, object_id, version, settings.SECRET_KEY)


# An e-mail carries the same token in several links (join, cancel, calendar): made once.
@lru_cache(maxsize=4096)
def _token_make(purpose: str, object_id: int, version: int, secret: str) -> str:
    return (
        f"{_id_encrypt(purpose=purpose, object_id=object_id)}."
        f"{_signature(purpose=purpose, object_id=object_id, version=version)}"
    )


def _claimed_object_id(token: str, *, purpose: str) -> tuple[int, str] | None:
    """The object id a token claims to be for, and its signature; `token_object` checks them
    before trusting either."""
    if "." in token:
        head, _, signature = token.partition(".")
        if len(head) != 11 or len(signature) != 43:
            return None
        object_id = _id_decrypt(purpose=purpose, encrypted=head)
    else:  # the earlier form, with the id in base 36
        head, _, signature = token.partition("-")
        if not head or len(signature) != 43 or len(head) > 13:
            return None
        try:
            object_id = base36_to_int(head)
        except ValueError:
            return None
    if object_id is None or object_id <= 0 or object_id >= 2**63:
        return None
    return object_id, signature


def token_object(
    token: str, *, queryset: QuerySet[ModelT], purpose: str, version_field: str = "token_version"
) -> ModelT | None:
    """The object of `queryset` a token was issued for, or None if the token is not valid.

    Garbage, an unknown id, another purpose or an earlier version (the link was revoked) all
    answer None, in at most one query; the queryset carries what the caller reads next.
    """
    claimed = _claimed_object_id(token, purpose=purpose)
    if claimed is None:
        return None
    object_id, signature = claimed
    found = queryset.filter(pk=object_id).first()
    if found is None:
        return None
    expected = _signature(
        purpose=purpose, object_id=found.pk, version=getattr(found, version_field)
    )
    if not constant_time_compare(signature, expected):
        return None
    return found
