"""What a view may assume about the request's user once sign-in has been checked."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest


class AuthenticatedHttpRequest(HttpRequest):
    """The request of a view behind `@login_required`: its user is a signed-in `User`.

    Only a type: Django builds the request; the annotation tells the type checker what
    `login_required` has already made true.
    """

    user: User


def signed_in_user(request: HttpRequest) -> User:
    """The request's user where no decorator has narrowed it (the admin's own hooks)."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user
