from __future__ import annotations

from django.urls import path

from guests.views import host, public

app_name = "guests"

urlpatterns = [
    path("g/<str:token>/", public.exchange, name="exchange"),
    path("g/<str:code>/enter/", public.guest_enter, name="enter"),
    path(
        "guests/sessions/<int:session_id>/regenerate/",
        host.guest_link_regenerate,
        name="regenerate",
    ),
]
