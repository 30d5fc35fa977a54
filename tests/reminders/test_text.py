"""Every form of every app refuses line breaks and control characters in one-line text.

The walk finds the form classes itself (every module of every app, and every admin page), so
a new form that forgets the shared check fails here.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from django import forms
from django.contrib import admin
from django.test import RequestFactory

from commitments.models import QuestionKind as CommitmentQuestionKind
from reminders.text import (
    CheckedForm,
    CheckedInputMixin,
    CheckedModelForm,
    is_single_line,
    text_validator,
)
from sessions_app.models import QuestionKind
from tests.factories import (
    QuestionFactory,
    RegistrationQuestionFactory,
    SessionFactory,
    UserFactory,
    hosted_program,
)

pytestmark = pytest.mark.django_db

APPS = ("programs", "sessions_app", "guests", "commitments", "reminders", "config")
FORGED = "A\r\nBcc: victim@example.org"
NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def _project_form_classes() -> list[type[forms.BaseForm]]:
    found: dict[str, type[forms.BaseForm]] = {}
    for app in APPS:
        package = importlib.import_module(app)
        for module_info in pkgutil.walk_packages(package.__path__, f"{app}."):
            skipped = (".migrations", ".management", "config.settings", "config.wsgi")
            if any(part in module_info.name for part in skipped):
                continue
            module = importlib.import_module(module_info.name)
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if (
                    issubclass(cls, forms.BaseForm)
                    and cls.__module__ == module.__name__
                    and cls not in (CheckedForm, CheckedModelForm)
                ):
                    found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return [found[name] for name in sorted(found)]


def _world() -> dict[str, object]:
    program = hosted_program()
    session = SessionFactory(program=program)
    module_question = QuestionFactory(
        module__program=program, kind=CommitmentQuestionKind.SHORT_TEXT
    )
    question = RegistrationQuestionFactory(session=session, kind=QuestionKind.SHORT_TEXT)
    return {
        "program": program,
        "session": session,
        "questions": [question],
        "module_questions": [module_question],
        "user": UserFactory(),
    }


# How each form is built; a form missing here fails the walk, so new forms get checked too.
CONSTRUCTORS: dict[str, Callable[[dict[str, object]], dict[str, object]]] = {
    "sessions_app.forms.SessionForm": lambda w: {"program": w["program"], "now": NOW},
    "sessions_app.forms.RegistrationForm": lambda w: {"questions": w["questions"]},
    "sessions_app.room_forms.PrejoinForm": lambda w: {"session": w["session"]},
    "sessions_app.forms.HostEmailSettingsForm": lambda w: {"programs": []},
    "commitments.forms.CommitmentForm": lambda w: {"questions": w["module_questions"]},
    "programs.round_forms.RoundScheduleForm": lambda w: {"program": w["program"]},
    "programs.forms.ProgramBrandForm": lambda w: {"instance": w["program"]},
    "programs.round_forms.MatchingSettingsForm": lambda w: {"instance": w["program"]},
    "programs.admin.CheckedUserChangeForm": lambda w: {"instance": w["user"]},
    "programs.insights.forms.InsightsPeriodForm": lambda w: {"today": NOW.date()},
    "programs.views.round_preview.SwapForm": lambda w: {"choices": [(1, "A"), (2, "B")]},
}


def _text_fields(form: forms.BaseForm) -> tuple[list[str], list[str]]:
    single = [n for n, f in form.fields.items() if text_validator(f) and is_single_line(f)]
    multi = [n for n, f in form.fields.items() if text_validator(f) and not is_single_line(f)]
    return single, multi


def _codes(form: forms.BaseForm, name: str) -> set[str]:
    return {error.code for error in form.errors.as_data().get(name, [])}


def _multi(form_class: type[forms.BaseForm], name: str, extra: str) -> str:
    """Multi-line text with tab, CR and LF, plus `extra`; as a JSON string for a JSON field."""
    text = f"line one\r\nline\ttwo{extra}"
    field = form_class.base_fields.get(name)
    return json.dumps(text) if isinstance(field, forms.JSONField) else text


def _assert_checks(form_class: type[forms.BaseForm], kwargs: dict[str, object]) -> int:
    """Bind every text field of a form to hostile text; return how many fields were checked."""
    assert issubclass(form_class, CheckedInputMixin), f"{form_class} skips reminders.text"
    single, multi = _text_fields(form_class(**kwargs))
    data = {name: FORGED for name in single} | {
        name: _multi(form_class, name, "\x07") for name in multi
    }
    form = form_class(data=data, **kwargs)
    form.is_valid()
    for name in single:
        assert "line_break" in _codes(form, name), f"{form_class.__name__}.{name}"
        assert "Keep this on one line" in str(form.errors[name])
    for name in multi:
        assert "control_character" in _codes(form, name), f"{form_class.__name__}.{name}"
    # The same multi-line text without the bell is fine: descriptions keep their lines.
    form = form_class(data={name: _multi(form_class, name, "") for name in multi}, **kwargs)
    form.is_valid()
    for name in multi:
        assert not _codes(form, name) & {"control_character", "line_break"}
    return len(single) + len(multi)


def test_every_form_of_every_app_checks_its_text() -> None:
    world = _world()
    form_classes = _project_form_classes()
    assert len(form_classes) >= 25  # the walk found the apps' forms
    checked = 0
    for form_class in form_classes:
        name = f"{form_class.__module__}.{form_class.__qualname__}"
        kwargs = CONSTRUCTORS.get(name, lambda w: {})(world)
        checked += _assert_checks(form_class, kwargs)
    assert checked >= 40


def test_every_admin_page_checks_its_text(admin_user) -> None:
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    for model, model_admin in admin.site._registry.items():
        form_classes = [model_admin.get_form(request)]
        form_classes += [
            inline.get_formset(request).form for inline in model_admin.get_inline_instances(request)
        ]
        for form_class in form_classes:
            assert issubclass(form_class, CheckedInputMixin), f"admin of {model.__name__}"
            _assert_checks(form_class, {})


def test_a_name_with_a_line_break_is_refused_on_the_public_registration_page(client) -> None:
    session = SessionFactory(program=hosted_program())
    response = client.post(
        f"/s/{session.code}/register/", {"email": "ada@example.org", "name": FORGED}
    )
    assert response.status_code == 400
    assert "Keep this on one line: remove the line break." in response.content.decode()
    assert not session.registrations.exists()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("a\x00b", "Remove the invisible control character (U+0000)"),
        ("tab\there", "Remove the invisible control character (U+0009)"),
        ("lone \udfff", "invalid character (U+DFFF)"),
        ("line\u2028separator", "Keep this on one line"),
    ],
)
def test_one_line_text_refuses_nul_tabs_surrogates_and_separators(value: str, message: str) -> None:
    form = type("NameForm", (CheckedForm,), {"name": forms.CharField()})(data={"name": value})
    assert not form.is_valid()
    assert message in str(form.errors["name"])
