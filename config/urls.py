from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.templatetags.static import static as static_url
from django.urls import include, path

from programs.forms import LoginForm, OutboxPasswordResetForm
from programs.moved import moved
from programs.views import host as program_views
from programs.views.host import PasswordResetWithRequestView


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on pages that name no icon (files, error pages)."""
    return HttpResponsePermanentRedirect(static_url("favicon.svg"))


def healthz(request: HttpRequest) -> HttpResponse:
    """A bare view: load balancers probe it, and the waiting-room benchmark uses it as baseline."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # Browsers ask for /favicon.ico on pages that name no icon (files, error pages).
    path("favicon.ico", favicon),
    path("", program_views.home, name="home"),
    path("admin/", admin.site.urls),
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
    # Sign-up moved to programs' own signup/ (ARCHITECTURE.md, URLs).
    path("accounts/signup/", moved("programs:signup")),
    path("", include("programs.urls")),
    path("", include("sessions_app.urls")),
    path("", include("guests.urls")),
    path("", include("commitments.urls")),
    path("", include("reminders.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
