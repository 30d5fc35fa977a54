"""The base of every admin page of the project: the text checks, and autocompletes that
survive a value that is no id.

Django's autocomplete widget, re-rendering a refused form, looks the submitted value up as
an id of its model: a value such as `a\\x00b` raised there (a server error) instead of showing
the form's "select a valid choice".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest

from reminders.text import CheckedModelForm

if TYPE_CHECKING:
    _AutocompleteBase = AutocompleteSelect
else:
    _AutocompleteBase = object


class _KeysOnlyMixin(_AutocompleteBase):
    def optgroups(
        self, name: str, value: Sequence[str], attr: dict[str, Any] | None = None
    ) -> list[tuple[str | None, list[dict[str, Any]], int | None]]:
        remote = self.field.remote_field
        options = remote.model._meta
        to_field = options.get_field(getattr(remote, "field_name", None) or options.pk.name)

        def is_key(candidate: str) -> bool:
            try:
                to_field.get_prep_value(to_field.to_python(candidate))
            except (ValidationError, ValueError, TypeError):
                return False
            return True

        keys = [candidate for candidate in value if is_key(candidate)]
        return super().optgroups(name, keys, attr)


class KeysOnlyAutocompleteSelect(_KeysOnlyMixin, AutocompleteSelect):
    pass


class KeysOnlyAutocompleteSelectMultiple(_KeysOnlyMixin, AutocompleteSelectMultiple):
    pass


if TYPE_CHECKING:
    _AdminBase = admin.options.BaseModelAdmin[Any]
else:
    _AdminBase = object


class CheckedAdminMixin(_AdminBase):
    form: type[forms.ModelForm[Any]] = CheckedModelForm

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField[Any] | None:
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = KeysOnlyAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(
        self, db_field: models.ManyToManyField[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> forms.ModelMultipleChoiceField[Any] | None:
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = KeysOnlyAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class CheckedModelAdmin(CheckedAdminMixin, admin.ModelAdmin):
    """The base of every ModelAdmin of the project."""


class CheckedTabularInline(CheckedAdminMixin, admin.TabularInline):
    """The base of every inline of the project."""
