"""What hosts are shown about the e-mail provider, on every page they see."""

from __future__ import annotations

from django import template

from reminders.selectors import provider_failing

register = template.Library()


@register.inclusion_tag("reminders/includes/delivery_banner.html")
def delivery_banner() -> dict[str, object]:
    return {"health": provider_failing()}
