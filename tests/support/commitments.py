"""A browser that holds a commitment's personal-link mark."""

from __future__ import annotations

from django.test import Client

from commitments.models import Commitment
from commitments.views.public import COMMITMENT_ACCESS
from reminders.link_access import SESSION_KEY as LINK_ACCESS_SESSION_KEY


def client_for_commitment(commitment: Commitment) -> Client:
    client = Client()
    session = client.session
    # What following the e-mailed link leaves in the browser's session (reminders.link_access).
    session[LINK_ACCESS_SESSION_KEY] = {
        f"{COMMITMENT_ACCESS}:{commitment.pk}": commitment.token_version
    }
    session.save()
    return client
