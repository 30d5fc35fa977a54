from __future__ import annotations

from django.apps import AppConfig


class GuestsConfig(AppConfig):
    name = "guests"
