from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.http import HttpRequest


class EmailBackend(ModelBackend):
    """Hosts sign in with their e-mail address (any case) or their username."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not username or password is None:
            return None
        user_model = get_user_model()
        candidates = list(
            user_model.objects.filter(email__iexact=username.strip()).order_by("id")[:2]
        )
        if len(candidates) != 1:
            return super().authenticate(request, username=username, password=password, **kwargs)
        user = candidates[0]
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        # Run the hasher anyway so timing does not tell which addresses have accounts.
        user_model().set_password(password)
        return None
