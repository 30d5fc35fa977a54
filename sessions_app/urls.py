from __future__ import annotations

from django.urls import path

from sessions_app import message_views, public_views, views

app_name = "sessions_app"

urlpatterns = [
    # Host pages
    path("sessions/", views.my_sessions, name="my_sessions"),
    path("sessions/calendar/reset/", views.calendar_feed_reset, name="calendar_feed_reset"),
    path("programs/<int:program_id>/sessions/new/", views.session_create, name="session_create"),
    path("sessions/<int:session_id>/", views.session_dashboard, name="dashboard"),
    path("sessions/<int:session_id>/edit/", views.session_edit, name="session_edit"),
    path("sessions/<int:session_id>/cancel/", views.session_cancel, name="session_cancel"),
    path(
        "sessions/<int:session_id>/registrations.csv",
        views.registrations_csv,
        name="registrations_csv",
    ),
    path(
        "sessions/<int:session_id>/participants/add/",
        views.participants_add,
        name="participants_add",
    ),
    path(
        "sessions/<int:session_id>/registrations/<int:registration_id>/resend/",
        views.registration_resend,
        name="registration_resend",
    ),
    path(
        "sessions/<int:session_id>/registrations/<int:registration_id>/messages/",
        message_views.registration_messages,
        name="registration_messages",
    ),
    path(
        "sessions/<int:session_id>/registrations/<int:registration_id>/remove/",
        message_views.registration_remove,
        name="registration_remove",
    ),
    path("s/<str:code>/you/cancel/", public_views.cancel_registration, name="cancel_registration"),
    path("sessions/<int:session_id>/questions/add/", views.question_add, name="question_add"),
    path(
        "sessions/<int:session_id>/questions/<int:question_id>/delete/",
        views.question_delete,
        name="question_delete",
    ),
    # Public pages
    path("session-id/", public_views.session_lookup, name="lookup"),
    path("s/<str:code>/", public_views.session_public, name="public"),
    path("s/<str:code>/register/", public_views.session_register, name="register"),
    path("s/<str:code>/registered/", public_views.session_registered, name="registered"),
    path("s/<str:code>/calendar.ics", public_views.session_ics, name="ics"),
    path("s/<str:code>/you/", public_views.my_registration, name="my_registration"),
    path("join/<str:token>/", public_views.join, name="join"),
    path("calendar/<str:token>.ics", public_views.calendar_feed, name="calendar_feed"),
]
