from __future__ import annotations

import zoneinfo
from datetime import datetime
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from programs.dates import validate_date_in_range
from programs.local_times import LocalTimeFormMixin
from programs.models import Module, Program
from programs.questions import choice_list, choices_kept, field_name, form_answers, form_field
from programs.timezones import TimeZoneField
from reminders.text import CheckedForm, CheckedModelForm
from sessions_app.models import QuestionKind, RegistrationQuestion, Session, SessionTheme
from sessions_app.services import NewQuestion

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    from sessions_app.selectors import RemindersOn

MAX_PARTICIPANTS_AT_ONCE = 500


class SessionForm(LocalTimeFormMixin, CheckedForm):
    title = forms.CharField(max_length=200)
    description = forms.CharField(
        required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    module = forms.ModelChoiceField(
        queryset=Module.objects.none(), required=False, empty_label="No module"
    )
    time_zone = TimeZoneField(
        label="Time zone",
        help_text="The session's zone: the date and time below are in it, and e-mails show it.",
    )
    starts_on = forms.DateField(
        label="Date",
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_date_in_range],
    )
    starts_time = forms.TimeField(
        label="Start time", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    duration_minutes = forms.IntegerField(
        label="Duration (minutes)", min_value=5, max_value=24 * 60, initial=60
    )
    theme = forms.ChoiceField(choices=SessionTheme.choices, initial=SessionTheme.MEETING)
    is_registration_required = forms.BooleanField(
        required=False,
        initial=True,
        label="Registration required",
        help_text="Attendees register with their e-mail address and get a personal join link.",
    )
    capacity = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=100_000,
        help_text="Leave empty for no limit.",
    )
    has_waitlist = forms.BooleanField(
        required=False,
        label="Offer a waitlist when full",
        help_text="With a capacity: when a seat frees, the first person waiting is registered "
        "and gets the confirmation.",
    )
    remind_day_before = forms.BooleanField(
        required=False, initial=True, label="Remind a day before (same local time)"
    )
    remind_hour_before = forms.BooleanField(
        required=False, initial=True, label="Remind an hour before"
    )
    remind_half_hour_before = forms.BooleanField(
        required=False, initial=True, label="Remind 30 minutes before"
    )
    co_host_emails = forms.CharField(
        required=False,
        max_length=2000,
        label="Co-hosts",
        help_text="E-mail addresses of Convene accounts, separated by commas. Co-hosts manage "
        "this session only.",
    )

    def __init__(
        self,
        *args: Any,
        program: Program,
        now: datetime,
        session: Session | None = None,
        registration_count: int = 0,
        **kwargs: Any,
    ) -> None:
        if session is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "title": session.title,
                "description": session.description,
                "module": session.module_id,
                "time_zone": session.time_zone,
                "starts_on": session.local_starts_at.date(),
                "starts_time": session.local_starts_at.time(),
                "duration_minutes": session.duration_minutes,
                "theme": session.theme,
                "is_registration_required": session.is_registration_required,
                "capacity": session.capacity,
                "has_waitlist": session.has_waitlist,
                "remind_day_before": session.remind_day_before,
                "remind_hour_before": session.remind_hour_before,
                "remind_half_hour_before": session.remind_half_hour_before,
                "co_host_emails": ", ".join(user.email for user in session.co_hosts.all()),
            }
        elif "initial" not in kwargs:
            kwargs["initial"] = {"time_zone": program.time_zone}
        super().__init__(*args, **kwargs)
        self.session = session
        self.now = now
        self.registration_count = registration_count
        cast(forms.ModelChoiceField, self.fields["module"]).queryset = program.modules.order_by(
            "position", "id"
        )
        if session is not None:
            self._ask_which_initially(name="starts_time", local=session.local_starts_at)

    def clean_co_host_emails(self) -> list[User]:
        raw = self.cleaned_data["co_host_emails"]
        addresses = [part.strip() for part in raw.replace("\n", ",").split(",") if part.strip()]
        users: list[User] = []
        unknown: list[str] = []
        for address in dict.fromkeys(addresses):
            user = User.objects.filter(email__iexact=address, is_active=True).first()
            if user is None:
                unknown.append(address)
            else:
                users.append(user)
        if unknown:
            raise ValidationError(
                f"No Convene account has the address {', '.join(unknown)}. "
                "Co-hosts need an account: invite them to the program first."
            )
        return users

    def clean_capacity(self) -> int | None:
        capacity = self.cleaned_data["capacity"]
        if capacity is not None and capacity < self.registration_count:
            raise ValidationError(
                f"{self.registration_count} people are registered already: the capacity "
                "cannot be lower."
            )
        return capacity

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        day, at, zone = (
            cleaned.get("starts_on"),
            cleaned.get("starts_time"),
            cleaned.get("time_zone"),
        )
        if day is None or at is None or not zone:
            return cleaned
        starts_at = self._local_instant(
            name="starts_time", naive=datetime.combine(day, at), zone=zoneinfo.ZoneInfo(zone)
        )
        if starts_at is None:
            return cleaned
        changed = self.session is None or starts_at != self.session.starts_at
        if changed and starts_at <= self.now:
            self.add_error("starts_on", "Choose a date and time in the future.")
        cleaned["starts_at"] = starts_at
        return cleaned

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "description": data["description"],
            "module": data["module"],
            "starts_at": data["starts_at"],
            "time_zone": data["time_zone"],
            "duration_minutes": data["duration_minutes"],
            "theme": data["theme"],
            "is_registration_required": data["is_registration_required"],
            "capacity": data["capacity"],
            "has_waitlist": data["has_waitlist"],
            "remind_day_before": data["remind_day_before"],
            "remind_hour_before": data["remind_hour_before"],
            "remind_half_hour_before": data["remind_half_hour_before"],
            "co_hosts": data["co_host_emails"],
        }


class RegistrationForm(CheckedForm):
    """E-mail, name and the session's own questions (fields named `question_<id>`)."""

    email = forms.EmailField(label="E-mail address", max_length=254)
    name = forms.CharField(label="Your name", max_length=200)

    def __init__(self, *args: Any, questions: list[RegistrationQuestion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        for question in questions:
            self.fields[field_name(question)] = form_field(question)

    def answers(self) -> list[tuple[RegistrationQuestion, str]]:
        return form_answers(self.cleaned_data, self.questions)


class QuestionForm(CheckedModelForm):
    class Meta:
        model = RegistrationQuestion
        fields = ["label", "kind", "choices", "is_required"]
        labels = {"label": "Question", "is_required": "Required"}
        widgets = {"choices": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "choices": "One choice per line, for single choice and checkbox questions. A "
            "checkbox question without choices is one box to tick."
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["kind"]).choices = QuestionKind.choices
        self.fields["kind"].initial = QuestionKind.SHORT_TEXT

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        kind = cleaned.get("kind")
        choices = choice_list(cleaned.get("choices") or "")
        if kind == QuestionKind.SINGLE_CHOICE and len(choices) < 2:
            self.add_error("choices", "A single-choice question needs at least two choices.")
        if any(len(choice) > 200 for choice in choices):
            self.add_error("choices", "Keep each choice under 200 characters.")
        cleaned["choices"] = choices_kept(
            kind=kind or "", choices="\n".join(dict.fromkeys(choices))
        )
        return cleaned


# The create form's question editor: a few empty questions; more are added afterwards on the
# session's Questions page. Untouched ones are skipped.
QuestionFormSet = forms.formset_factory(
    QuestionForm, extra=3, max_num=20, validate_max=True, absolute_max=20
)


def new_questions(formset: forms.BaseFormSet) -> list[NewQuestion]:
    """The filled-in questions of a valid `QuestionFormSet`, in the order shown."""
    return [
        NewQuestion(
            label=data["label"],
            kind=data["kind"],
            choices=data["choices"],
            is_required=data["is_required"],
        )
        for data in formset.cleaned_data
        if data
    ]


class ParticipantsAddForm(CheckedForm):
    people = forms.CharField(
        label="People to add",
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        # Django does not escape help texts.
        help_text="One person per line: an e-mail address, or “Name &lt;address&gt;”, or "
        "“address, Name”. Each new person gets the confirmation with their personal link.",
    )

    def clean_people(self) -> list[tuple[str, str]]:
        people: list[tuple[str, str]] = []
        problems: list[str] = []
        for number, line in enumerate(self.cleaned_data["people"].splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            if "<" in line:
                name, email = parseaddr(line)
            else:
                email, _, name = line.partition(",")
            email, name = email.strip(), name.strip()
            try:
                validate_email(email)
                if len(email) > 254 or len(name) > 200:
                    raise ValidationError("too long")
            except ValidationError:
                problems.append(f"line {number} ({line[:60]})")
                continue
            people.append((email, name or email.split("@")[0]))
        if problems:
            raise ValidationError(
                f"These lines are not an e-mail address: {', '.join(problems[:10])}"
                + (" …" if len(problems) > 10 else "")
            )
        if not people:
            raise ValidationError("Enter at least one e-mail address.")
        if len(people) > MAX_PARTICIPANTS_AT_ONCE:
            raise ValidationError(f"Add at most {MAX_PARTICIPANTS_AT_ONCE} people at once.")
        return people


class SessionIdForm(CheckedForm):
    code = forms.CharField(
        label="Session ID",
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
        help_text="Eight letters and digits, like ABCD-2345.",
    )


class HostEmailSettingsForm(CheckedForm):
    """A host's e-mail settings: which programs send them host reminders."""

    reminded_programs = forms.TypedMultipleChoiceField(
        label="Host reminders (a day and an hour before each session)",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Untick a program to stop its reminders; the sessions and your dashboard "
        "stay as they are.",
    )

    def __init__(
        self, *args: Any, programs: list[WithAnnotations[Program, RemindersOn]], **kwargs: Any
    ) -> None:
        kwargs.setdefault(
            "initial",
            {"reminded_programs": [program.pk for program in programs if program.reminders_on]},
        )
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["reminded_programs"]).choices = [
            (program.pk, program.name) for program in programs
        ]
