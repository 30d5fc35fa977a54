from __future__ import annotations

from django.urls import path

from guests import views

app_name = "guests"

urlpatterns = [
    path("g/<str:token>/", views.exchange, name="exchange"),
    path("s/<str:code>/guest/", views.guest_enter, name="enter"),
    path(
        "sessions/<int:session_id>/guest-link/regenerate/",
        views.guest_link_regenerate,
        name="regenerate",
    ),
]
