"""Factories for every model, one module per area; import them from here."""

from __future__ import annotations

from tests.factories.core import *  # noqa: F403
from tests.factories.matching import *  # noqa: F403
