"""How every form on the site labels its fields (through `includes/form_fields.html`)."""

from __future__ import annotations

from django import template
from django.forms import BoundField
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString

register = template.Library()

# Django leaves out the label suffix after a label ending in one of these.
_PUNCTUATION = ":?.!"


@register.simple_tag
def field_label(field: BoundField, *, mark_required: bool = False) -> SafeString:
    """The field's <label> (or <legend> for a group), with "(required)" in words if asked.

    Written out rather than an asterisk, so it reads the same on screen and aloud; the
    input keeps its `required` attribute.
    """
    label = conditional_escape(field.label)
    if mark_required and field.field.required:
        label = format_html('{} <span class="required-marker">(required)</span>', label)
    suffix = "" if str(field.label)[-1:] in _PUNCTUATION else None
    tag = field.legend_tag if field.use_fieldset else field.label_tag
    return tag(contents=label, label_suffix=suffix)
