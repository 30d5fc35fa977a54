from __future__ import annotations

from django.urls import path

from guests.views import host, public

app_name = "guests"

urlpatterns = [
    path("g/<str:token>/", public.exchange, name="exchange"),
    path("s/<str:code>/guest/", public.guest_enter, name="enter"),
    path(
        "sessions/<int:session_id>/guest-link/regenerate/",
        host.guest_link_regenerate,
        name="regenerate",
    ),
]
