"""E-mail backends for tests that run a real worker in another process."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

from django.core.mail import EmailMessage

from reminders.backends import CapturingEmailBackend


class SlowCapturingBackend(CapturingEmailBackend):
    """Keeps every e-mail like the dev backend, taking TEST_SEND_DELAY_MS per e-mail (a slow provider)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, echo=False, **kwargs)
        self.delay = int(os.environ.get("TEST_SEND_DELAY_MS", "0")) / 1000

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        if self.delay:
            time.sleep(self.delay * len(email_messages))
        return super().send_messages(email_messages)
