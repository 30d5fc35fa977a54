"""Factories for every model, one module per area; import them from here."""

from __future__ import annotations

from tests.factories.commitments import *  # noqa: F403
from tests.factories.core import *  # noqa: F403
from tests.factories.matching import *  # noqa: F403
from tests.factories.rooms import *  # noqa: F403
from tests.factories.sessions import *  # noqa: F403
