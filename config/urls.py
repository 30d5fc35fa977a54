from __future__ import annotations

import warnings

from anymail import urls as anymail_urls
from anymail.exceptions import AnymailConfigurationError
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.templatetags.static import static as static_url
from django.urls import URLPattern, include, path

from programs import views as program_views
from programs.forms import LoginForm, OutboxPasswordResetForm
from programs.views import PasswordResetWithRequestView


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on pages that name no icon (files, error pages)."""
    return HttpResponsePermanentRedirect(static_url("favicon.svg"))


def configured_webhooks() -> list[URLPattern]:
    """Anymail's webhook URLs, for the providers whose settings are complete.

    `anymail.urls` names every provider's webhook; one that needs a signing key nobody set
    answers every request with a server error (AnymailConfigurationError). Each view is built
    once here, as anymail builds it per request, and left unmounted (404) if it cannot be.
    """
    mounted = []
    for pattern in anymail_urls.urlpatterns:
        callback = pattern.callback
        try:
            with warnings.catch_warnings():  # anymail warns again when a request comes
                warnings.simplefilter("ignore")
                view = callback.view_class(**callback.view_initkwargs)
        except AnymailConfigurationError:
            continue
        if getattr(view, "webhook_key", ...) is None:  # Mandrill checks its key per request
            continue
        mounted.append(pattern)
    return mounted


def healthz(request: HttpRequest) -> HttpResponse:
    """A bare view: load balancers probe it, and the waiting-room benchmark uses it as baseline."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # Browsers ask for /favicon.ico on pages that name no icon (files, error pages).
    path("favicon.ico", favicon),
    path("", program_views.home, name="home"),
    path("admin/", admin.site.urls),
    path("anymail/", include((configured_webhooks(), "anymail"))),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path(
        "accounts/password_reset/",
        PasswordResetWithRequestView.as_view(form_class=OutboxPasswordResetForm),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("programs.urls")),
    path("", include("sessions_app.urls")),
    path("", include("guests.urls")),
    path("", include("commitments.urls")),
    path("", include("reminders.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
