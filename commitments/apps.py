from __future__ import annotations

from django.apps import AppConfig


class CommitmentsConfig(AppConfig):
    name = "commitments"
    verbose_name = "Commitments"

    def ready(self) -> None:
        from commitments import emails  # noqa: F401 - registers the message kinds
