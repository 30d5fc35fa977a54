"""Panels that pages of other apps compose in their templates (programs cannot import us)."""

from __future__ import annotations

from django import template

from programs.models import Program

register = template.Library()


@register.inclusion_tag("sessions_app/includes/program_sessions_panel.html", takes_context=True)
def program_sessions_panel(context: template.Context, program: Program) -> dict[str, object]:
    """The sessions section of the Program Overview."""
    return {"program": program, "request": context.get("request")}
