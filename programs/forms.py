from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.http import HttpRequest
from django.utils import timezone

from programs.branding import BRAND_COLOUR, MIN_CONTRAST, contrast_with_white
from programs.models import HostRole, Module, Program
from programs.services import password_reset_request
from programs.timezones import TimeZoneField
from reminders.ratelimit import client_address, rate_limit_hit, rate_limit_peek
from reminders.text import CheckedForm, CheckedInputMixin, CheckedModelForm

User = get_user_model()
LOGIN_ATTEMPTS_PER_CLIENT = 30
LOGIN_ATTEMPTS_PER_ACCOUNT = 10
LOGIN_ATTEMPTS_PER_ACCOUNT_ANYWHERE = 50
LOGIN_WINDOW_SECONDS = 600
RATE_LIMITED_MESSAGE = "Too many sign-in attempts. Wait %(minutes)s minutes and try again."
HOST_NAME = re.compile(r"(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")


class ProgramForm(CheckedModelForm):
    time_zone = TimeZoneField(
        initial="UTC",
        help_text="Sessions and rounds of this program are scheduled in this zone unless you pick another.",
    )

    class Meta:
        model = Program
        fields = ["name", "description", "time_zone"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}


class ModuleForm(CheckedModelForm):
    class Meta:
        model = Module
        fields = ["title", "description", "commitment_days", "is_activated"]
        labels = {"is_activated": "Activated", "commitment_days": "Commitment duration (days)"}
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class HostInviteForm(CheckedForm):
    email = forms.EmailField(label="E-mail address", max_length=254)
    role = forms.ChoiceField(choices=HostRole.choices, initial=HostRole.HOST)


class TimeZoneForm(CheckedForm):
    time_zone = TimeZoneField(label="Show times in")
    next = forms.CharField(required=False, widget=forms.HiddenInput)


if TYPE_CHECKING:
    _SignInFormBase = AuthenticationForm
else:
    _SignInFormBase = object


class SignInLimitMixin(_SignInFormBase):
    """Password guessing limits for a sign-in form (`AuthenticationForm` and its subclasses).

    Shared by the site's sign-in and the admin's, so the admin page is not a second way in.
    """

    def _limits(self, request: HttpRequest) -> list[tuple[str, str, int]]:
        """(scope, key, failures allowed per window): per client, per client and account, and
        per account from anywhere (higher, so a stranger cannot easily lock an owner out).

        The account is keyed by the user it resolves to, as the sign-in backend looks it up,
        so spellings of an address that the database folds together share one counter.
        """
        # The cleaned value: the field has refused NUL and control characters, which the
        # database cannot compare. An unknown name is hashed so that no typed text becomes part
        # of a cache key (length, spaces and control characters are what cache backends refuse).
        username = str(self.cleaned_data.get("username") or "")
        user = (
            User.objects.filter(email__iexact=username).order_by("id").first() if username else None
        )
        if user is not None:
            account = f"user:{user.pk}"
        else:
            account = "name:" + hashlib.sha256(username.casefold().encode()).hexdigest()[:32]
        client = client_address(request)
        return [
            ("login-client", client, LOGIN_ATTEMPTS_PER_CLIENT),
            ("login-client-account", f"{client}|{account}", LOGIN_ATTEMPTS_PER_ACCOUNT),
            ("login-account", account, LOGIN_ATTEMPTS_PER_ACCOUNT_ANYWHERE),
        ]

    def clean(self) -> dict[str, Any]:
        # Password guessing is limited before any password is checked; only failures count.
        # A refused address (the field's own error) checks no password, so it counts nothing.
        if self.request is None or not self.cleaned_data.get("username"):
            return super().clean()
        limits = self._limits(self.request)
        for scope, key, limit in limits:
            result = rate_limit_peek(
                scope=scope, key=key, limit=limit, window_seconds=LOGIN_WINDOW_SECONDS
            )
            if not result.allowed:
                raise forms.ValidationError(
                    RATE_LIMITED_MESSAGE,
                    code="rate_limited",
                    params={"minutes": max(1, -(-result.retry_after_seconds // 60))},
                )
        try:
            return super().clean()
        except forms.ValidationError:
            for scope, key, limit in limits:
                rate_limit_hit(
                    scope=scope, key=key, limit=limit, window_seconds=LOGIN_WINDOW_SECONDS
                )
            raise


class LoginForm(CheckedInputMixin, SignInLimitMixin, AuthenticationForm):
    username = forms.CharField(
        label="E-mail address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )


class AdminLoginForm(CheckedInputMixin, SignInLimitMixin, AdminAuthenticationForm):
    """The admin's sign-in page, under the same limits."""


class OutboxPasswordResetForm(CheckedInputMixin, PasswordResetForm):
    """Queues the reset e-mail in the outbox instead of sending it from the request.

    Requests are limited per client, and one address gets at most one e-mail per window
    (see `password_reset_request`), so the form cannot flood anybody's inbox.
    """

    def __init__(self, *args: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request

    def clean(self) -> dict[str, Any]:
        if self.request is not None:
            result = rate_limit_hit(
                scope="password-reset",
                key=client_address(self.request),
                limit=10,
                window_seconds=3600,
            )
            if not result.allowed:
                raise forms.ValidationError(
                    "Too many reset requests from here. Wait %(minutes)s minutes and try again.",
                    code="rate_limited",
                    params={"minutes": max(1, -(-result.retry_after_seconds // 60))},
                )
        super().clean()
        return self.cleaned_data

    def save(self, *args: Any, **kwargs: Any) -> None:
        for user in self.get_users(self.cleaned_data["email"]):
            password_reset_request(user=user, now=timezone.now())


class SignUpForm(CheckedForm):
    name = forms.CharField(max_length=150, label="Your name")
    email = forms.EmailField(max_length=254, label="E-mail address")
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args: Any, fixed_email: str | None = None, **kwargs: Any) -> None:
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

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
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


# Pillow's format name → the extension the stored logo gets; the logo view's content types.
LOGO_FORMATS = {"PNG": ".png", "JPEG": ".jpg"}
LOGO_CONTENT_TYPES = {".png": "image/png", ".jpg": "image/jpeg"}


class ProgramBrandForm(CheckedModelForm):
    """Private label: the brand participants see, and the program's own start host name."""

    MAX_LOGO_BYTES = 512 * 1024

    class Meta:
        model = Program
        fields = ["brand_name", "brand_colour", "brand_logo", "start_host_name"]
        labels = {
            "brand_colour": "Brand colour",
            "brand_logo": "Logo",
            "start_host_name": "Start host name",
        }
        help_texts = {
            "brand_name": "Shown instead of “Convene” on the start, session and commitment pages and in the e-mails participants get.",
            "brand_colour": "A colour like #1d4ed8. It is used for buttons with white text, so it must be dark enough to read.",
            "brand_logo": "PNG or JPEG, at most 512 KB; shown 32 pixels high.",
        }
        widgets = {"brand_colour": forms.TextInput(attrs={"placeholder": "#1d4ed8", "size": 8})}

    def clean_brand_colour(self) -> str:
        colour = self.cleaned_data["brand_colour"].strip().lower()
        if colour and not BRAND_COLOUR.fullmatch(colour):
            # Checked here because the model's validator runs only after this method.
            raise forms.ValidationError("Use a colour like #1d4ed8.")
        if colour and contrast_with_white(colour) < MIN_CONTRAST:
            raise forms.ValidationError(
                f"White text on {colour} has a contrast of {contrast_with_white(colour):.1f}:1; "
                "choose a darker colour (at least 4.5:1)."
            )
        return colour

    def clean_brand_logo(self) -> object:
        logo = self.cleaned_data.get("brand_logo")
        if not logo or not hasattr(logo, "content_type"):  # no upload: the stored logo stays
            return logo
        if logo.size > self.MAX_LOGO_BYTES:
            raise forms.ValidationError("The logo is larger than 512 KB.")
        # ImageField has opened it with Pillow: trust what it found, not the name.
        found = getattr(getattr(logo, "image", None), "format", None)
        extension = LOGO_FORMATS.get(found or "")
        if extension is None:
            raise forms.ValidationError("The logo must be a PNG or JPEG image.")
        logo.name = f"logo{extension}"
        return logo

    def clean_start_host_name(self) -> str:
        name = self.cleaned_data["start_host_name"].strip().lower().rstrip(".")
        if name and not HOST_NAME.fullmatch(name):
            raise forms.ValidationError(
                "Enter a host name like start.example.org (no https://, no path)."
            )
        if name and name == urlsplit(settings.PUBLIC_BASE_URL).hostname:
            raise forms.ValidationError("That is Convene's own host name; use one of your own.")
        return name
