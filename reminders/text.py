"""Which characters text may hold: refused by every form, made safe in every e-mail header.

One place decides it for every form of every app (this app is the one they all import).

Every form of the project mixes in `CheckedInputMixin` (through `CheckedForm` and
`CheckedModelForm`, or in front of one of Django's own form classes). Just before the form
cleans, the mixin gives each of its text fields one of two validators, chosen by its widget:

- **single-line** (text, e-mail, hidden and every other input except a textarea: names,
  titles, subjects, addresses, brand names, codes): no control character at all (Unicode
  category Cc, tab, CR and LF included), no line or paragraph separator (U+2028, U+2029).
  These values end up in e-mail headers (a registrant's name in To, a session title in the
  Subject, a brand in From), where a line break forges headers (`A\\r\\nBcc: …`) and makes
  Django refuse to build the message;
- **multi-line** (a textarea: descriptions, notes, answers, choices, lists of people): tab,
  line feed and carriage return are text there; every other control character is refused.

Both refuse NUL (a control character, which PostgreSQL cannot store either) and lone
surrogates (half of a UTF-16 pair: not a character, and not encodable as UTF-8).
Passwords are never shown or sent, so they are checked as multi-line text; so is every string
inside a JSON field.

Values stored before the check, or written around the forms, are made safe where they leave:
`header_text` and `header_address` below, which `reminders.emails.build_email` applies to
every header it builds. docs/input.md has the whole picture.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django import forms
from django.core.exceptions import ValidationError

# Unicode category Cc is exactly U+0000 to U+001F and U+007F to U+009F (fixed by Unicode's stability
# policy); Cs, the surrogates, is U+D800 to U+DFFF.
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_LINE_BREAK = re.compile(r"[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_SINGLE_LINE_REFUSED = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_MULTI_LINE_REFUSED = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _check(value: object, refused: re.Pattern[str], *, single_line: bool) -> None:
    if not isinstance(value, str):
        return
    if match := _SURROGATE.search(value):
        raise ValidationError(
            "This text contains an invalid character (U+%(code)04X): type it again instead "
            "of pasting it.",
            code="invalid_character",
            params={"code": ord(match.group())},
        )
    match = refused.search(value)
    if match is None:
        return
    if single_line and _LINE_BREAK.match(match.group()):
        raise ValidationError("Keep this on one line: remove the line break.", code="line_break")
    raise ValidationError(
        "Remove the invisible control character (U+%(code)04X) from this text.",
        code="control_character",
        params={"code": ord(match.group())},
    )


def validate_single_line(value: object) -> None:
    """Refuse line breaks, every other control character and lone surrogates."""
    _check(value, _SINGLE_LINE_REFUSED, single_line=True)


def validate_multi_line(value: object) -> None:
    """Refuse control characters other than tab, CR and LF, and lone surrogates."""
    _check(value, _MULTI_LINE_REFUSED, single_line=False)


def is_single_line(field: forms.Field) -> bool:
    return not isinstance(field.widget, forms.Textarea | forms.PasswordInput)


def validate_json_text(value: object) -> None:
    """Every string in a JSON document, keys included, checked as multi-line text (PostgreSQL's
    jsonb refuses an escaped NUL, `\\u0000`, with an error)."""
    if isinstance(value, dict):
        for key, item in value.items():
            validate_multi_line(key)
            validate_json_text(item)
    elif isinstance(value, list):
        for item in value:
            validate_json_text(item)
    else:
        validate_multi_line(value)


def text_validator(field: forms.Field) -> Callable[[object], None] | None:
    """The validator a form field gets, or None for a field that holds no free text."""
    if isinstance(field, forms.JSONField):
        return validate_json_text
    if not isinstance(field, forms.CharField):
        return None
    return validate_single_line if is_single_line(field) else validate_multi_line


class CheckedInputMixin:
    """Gives every text field of the form its validator before the form cleans.

    Done at cleaning time rather than in `__init__`, so fields a form adds in its own
    `__init__` (one per question of a session or module) are checked too. Fields are copied
    per form instance, so this never changes the class's fields.
    """

    fields: dict[str, forms.Field]

    def full_clean(self) -> None:
        for field in self.fields.values():
            validator = text_validator(field)
            if validator is not None and validator not in field.validators:
                field.validators.append(validator)
        super().full_clean()  # type: ignore[misc]


class CheckedForm(CheckedInputMixin, forms.Form):
    """The base of every plain form of the project."""


class CheckedModelForm(CheckedInputMixin, forms.ModelForm):
    """The base of every model form of the project (the admin's included)."""


# Whitespace (line breaks and separators included), control characters (Unicode Cc) and lone
# surrogates: none of them may reach a header, where a line break starts a new header.
_NOT_HEADER_TEXT = re.compile(r"[\s\x00-\x1f\x7f-\x9f\ud800-\udfff]+")


def header_text(value: str) -> str:
    """`value` as one line fit for an e-mail header: every run of whitespace and control
    characters becomes one space.

    Forms refuse these characters (above), but rows stored before they did,
    or written around the forms, may hold them: a stored name `A\\r\\nBcc: x@y` becomes the
    harmless one-line name `A Bcc: x@y` instead of a forged header or a message Django
    refuses to build.
    """
    return _NOT_HEADER_TEXT.sub(" ", value).strip()


def header_address(address: str) -> str:
    """An address as it may stand in a header; ValueError for one holding a line break,
    whitespace or a control character (no real address does: the message fails alone)."""
    if _NOT_HEADER_TEXT.search(address):
        raise ValueError(f"the address {address!r} holds whitespace or control characters")
    return address
