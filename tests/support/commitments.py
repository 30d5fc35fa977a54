"""A browser that holds a commitment's personal-link credential."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.test import Client

from commitments.emails import commitment_url
from commitments.models import Commitment


def client_for_commitment(commitment: Commitment) -> Client:
    client = Client()
    # What following the e-mailed link leaves in the browser (reminders.personal_links).
    client.get(urlsplit(commitment_url(commitment)).path)
    return client
