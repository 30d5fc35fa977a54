"""Search text typed by a user, made safe for the database."""

from __future__ import annotations


def search_text(value: str) -> str:
    """`value` without NUL characters (PostgreSQL refuses them in text) and outer spaces."""
    return value.replace("\x00", "").strip()
