from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils import timezone

from programs.models import HostRole, Module, Program
from programs.services import password_reset_request
from programs.timezones import time_zone_choices

User = get_user_model()


class ProgramForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        choices=time_zone_choices,
        initial="UTC",
        help_text="Sessions and rounds of this program are scheduled in this zone unless you pick another.",
    )

    class Meta:
        model = Program
        fields = ["name", "description", "time_zone"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}


class ModuleForm(forms.ModelForm):
    class Meta:
        model = Module
        fields = ["title", "description", "commitment_days", "is_activated"]
        labels = {"is_activated": "Activated", "commitment_days": "Commitment duration (days)"}
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class HostInviteForm(forms.Form):
    email = forms.EmailField(label="E-mail address", max_length=254)
    role = forms.ChoiceField(choices=HostRole.choices, initial=HostRole.HOST)


class TimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(choices=time_zone_choices, label="Show times in")
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label="E-mail address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )


class OutboxPasswordResetForm(PasswordResetForm):
    """Queues the reset e-mail in the outbox instead of sending it from the request."""

    def save(self, *args: object, **kwargs: object) -> None:  # type: ignore[override]
        for user in self.get_users(self.cleaned_data["email"]):
            password_reset_request(user=user, now=timezone.now())


class SignUpForm(forms.Form):
    name = forms.CharField(max_length=150, label="Your name")
    email = forms.EmailField(max_length=254, label="E-mail address")
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args: object, fixed_email: str | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if fixed_email:
            self.fields["email"].initial = fixed_email
            self.fields["email"].disabled = True

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                "An account with this e-mail address exists already: sign in instead."
            )
        return email

    def clean(self) -> dict[str, object]:
        cleaned = super().clean()
        password = cleaned.get("password")
        if password:
            candidate = User(
                username=cleaned.get("email") or "",
                email=cleaned.get("email") or "",
                first_name=cleaned.get("name") or "",
            )
            try:
                password_validation.validate_password(password, candidate)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned
