from __future__ import annotations

from django.urls import path

from sessions_app import message_views, public_views, room_views, views, webhook_views

app_name = "sessions_app"

urlpatterns = [
    # Host pages
    path("sessions/", views.my_sessions, name="my_sessions"),
    path("sessions/calendar/", views.calendar_feed_create, name="calendar_feed_create"),
    path("sessions/email-settings/", views.email_settings, name="email_settings"),
    path("sessions/calendar/reset/", views.calendar_feed_reset, name="calendar_feed_reset"),
    path("programs/<int:program_id>/sessions/new/", views.session_create, name="session_create"),
    path("sessions/<int:session_id>/", views.session_dashboard, name="dashboard"),
    path("sessions/<int:session_id>/people/", views.session_people, name="session_people"),
    path("sessions/<int:session_id>/questions/", views.session_questions, name="session_questions"),
    path("sessions/<int:session_id>/emails/", views.session_emails, name="session_emails"),
    path("sessions/<int:session_id>/room-and-recordings/", views.session_room, name="session_room"),
    path("sessions/<int:session_id>/share/", views.session_share, name="session_share"),
    path("sessions/<int:session_id>/edit/", views.session_edit, name="session_edit"),
    path("sessions/<int:session_id>/cancel/", views.session_cancel, name="session_cancel"),
    path("sessions/<int:session_id>/replan/", views.replan_progress, name="replan_progress"),
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
    path(
        "sessions/<int:session_id>/waitlist/<int:entry_id>/",
        views.waitlist_change,
        name="waitlist_change",
    ),
    path("s/<str:code>/you/cancel/", public_views.cancel_registration, name="cancel_registration"),
    path("sessions/<int:session_id>/questions/add/", views.question_add, name="question_add"),
    path(
        "sessions/<int:session_id>/questions/<int:question_id>/delete/",
        views.question_delete,
        name="question_delete",
    ),
    # Live room: host controls (host-checked, 404 to everyone else)
    path("sessions/<int:session_id>/room/", room_views.host_room, name="host_room"),
    path(
        "sessions/<int:session_id>/room/heartbeat/<str:phase>/",
        room_views.host_heartbeat,
        name="host_heartbeat",
    ),
    path("sessions/<int:session_id>/room/start/", room_views.host_start, name="host_start"),
    path("sessions/<int:session_id>/room/people/", room_views.host_people, name="host_people"),
    path(
        "sessions/<int:session_id>/room/people/<int:attendance_id>/remove/",
        room_views.host_remove,
        name="host_remove",
    ),
    path(
        "sessions/<int:session_id>/room/people/<int:attendance_id>/readmit/",
        room_views.host_readmit,
        name="host_readmit",
    ),
    path("sessions/<int:session_id>/room/media/", room_views.host_media, name="host_media"),
    path(
        "sessions/<int:session_id>/room/recording-switch/",
        room_views.host_recording_switch,
        name="host_recording_switch",
    ),
    path("sessions/<int:session_id>/room/leave/", room_views.host_leave, name="host_leave"),
    path("sessions/<int:session_id>/room/end/", room_views.host_end, name="host_end"),
    path("sessions/<int:session_id>/complete/", room_views.host_complete, name="host_complete"),
    path(
        "sessions/<int:session_id>/recordings/",
        room_views.recording_upload,
        name="recording_upload",
    ),
    path(
        "sessions/<int:session_id>/recordings/<int:recording_id>/",
        room_views.recording_download,
        name="recording_download",
    ),
    path(
        "sessions/<int:session_id>/recordings/<int:recording_id>/delete/",
        room_views.recording_delete,
        name="recording_delete",
    ),
    path(
        "sessions/<int:session_id>/recordings/<int:recording_id>/retry/",
        room_views.recording_retry,
        name="recording_retry",
    ),
    # Live room: attendees, guests and visitors of open sessions
    path("s/<str:code>/enter/", room_views.room_prejoin, name="room_prejoin"),
    path("s/<str:code>/room/", room_views.room, name="room"),
    path("s/<str:code>/room/leave/", room_views.room_leave, name="room_leave"),
    path("s/<str:code>/room/media/", room_views.room_media, name="room_media"),
    path(
        "room/state/<int:session_id>/<int:attendance_id>/<str:signature>/<str:phase>/",
        room_views.room_state,
        name="room_state",
    ),
    # Public pages
    path("session-id/", public_views.session_lookup, name="lookup"),
    path("s/<str:code>/", public_views.session_public, name="public"),
    path("s/<str:code>/register/", public_views.session_register, name="register"),
    path("s/<str:code>/registered/", public_views.session_registered, name="registered"),
    path("s/<str:code>/calendar.ics", public_views.session_ics, name="ics"),
    path("s/<str:code>/you/", public_views.my_registration, name="my_registration"),
    path("join/<str:token>/", public_views.join, name="join"),
    path("join/<str:token>/cancel/", public_views.join, {"then": "cancel"}, name="join_cancel"),
    path(
        "join/<str:token>/calendar/", public_views.join, {"then": "calendar"}, name="join_calendar"
    ),
    path("s/<str:code>/you/calendar.ics", public_views.my_calendar, name="my_calendar"),
    path("calendar/<str:token>.ics", public_views.calendar_feed, name="calendar_feed"),
    # The video provider's webhook (JaaS recordings), checked by its shared secret.
    path("media/jaas/webhook/", webhook_views.jaas_webhook, name="jaas_webhook"),
]
