"""Personal link tokens: an HMAC over (purpose, object id, version), nothing usable stored.

A token reads `<id in base 36>-<43 characters>`: 256 bits of HMAC-SHA256 under SECRET_KEY.
Bumping the object's version revokes every token issued for the previous one, as Django's
password-reset tokens do with the password hash.
"""

from __future__ import annotations

import base64
from typing import TypeVar

from django.db.models import Model, QuerySet
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import base36_to_int, int_to_base36

ModelT = TypeVar("ModelT", bound=Model)


def _signature(*, purpose: str, object_id: int, version: int) -> str:
    digest = salted_hmac(
        f"convene.tokens.{purpose}", f"{object_id}:{version}", algorithm="sha256"
    ).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def token_make(*, purpose: str, object_id: int, version: int) -> str:
    return f"{int_to_base36(object_id)}-{_signature(purpose=purpose, object_id=object_id, version=version)}"


def _claimed_object_id(token: str) -> int | None:
    """The object id a token claims to be for; `token_object` checks it before trusting it."""
    head, _, signature = token.partition("-")
    if not head or len(signature) != 43 or len(head) > 13:
        return None
    try:
        return base36_to_int(head)
    except ValueError:
        return None


def _token_matches(*, token: str, purpose: str, object_id: int, version: int) -> bool:
    expected = token_make(purpose=purpose, object_id=object_id, version=version)
    return constant_time_compare(token, expected)


def token_object(
    token: str, *, queryset: QuerySet[ModelT], purpose: str, version_field: str = "token_version"
) -> ModelT | None:
    """The object of `queryset` a token was issued for, or None if the token is not valid.

    Garbage, an unknown id, another purpose or an earlier version (the link was revoked) all
    answer None, in at most one query; the queryset carries what the caller reads next.
    """
    object_id = _claimed_object_id(token)
    if object_id is None:
        return None
    found = queryset.filter(pk=object_id).first()
    if found is None or not _token_matches(
        token=token, purpose=purpose, object_id=found.pk, version=getattr(found, version_field)
    ):
        return None
    return found
