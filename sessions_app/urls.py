from __future__ import annotations

from django.urls import path

from programs.moved import moved
from sessions_app.views import host, messages, public, room, webhooks

app_name = "sessions_app"

urlpatterns = [
    # Host pages
    path("sessions/", host.my_sessions, name="my_sessions"),
    path("sessions/calendar/", host.calendar_feed_create, name="calendar_feed_create"),
    path("sessions/email-settings/", host.email_settings, name="email_settings"),
    path("sessions/calendar/reset/", host.calendar_feed_reset, name="calendar_feed_reset"),
    path("sessions/programs/<int:program_id>/new/", host.session_create, name="session_create"),
    path("sessions/<int:session_id>/", host.session_dashboard, name="dashboard"),
    path("sessions/<int:session_id>/people/", host.session_people, name="session_people"),
    path("sessions/<int:session_id>/questions/", host.session_questions, name="session_questions"),
    path("sessions/<int:session_id>/emails/", host.session_emails, name="session_emails"),
    path("sessions/<int:session_id>/room-and-recordings/", host.session_room, name="session_room"),
    path("sessions/<int:session_id>/share/", host.session_share, name="session_share"),
    path("sessions/<int:session_id>/edit/", host.session_edit, name="session_edit"),
    path("sessions/<int:session_id>/cancel/", host.session_cancel, name="session_cancel"),
    path("sessions/<int:session_id>/replan/", host.replan_progress, name="replan_progress"),
    path(
        "sessions/<int:session_id>/registrations.csv",
        host.registrations_csv,
        name="registrations_csv",
    ),
    path(
        "sessions/<int:session_id>/participants/add/",
        host.participants_add,
        name="participants_add",
    ),
    path(
        "sessions/<int:session_id>/registrations/<int:registration_id>/resend/",
        host.registration_resend,
        name="registration_resend",
    ),
    path(
        "sessions/<int:session_id>/registrations/<int:registration_id>/messages/",
        messages.registration_messages,
        name="registration_messages",
    ),
    path(
        "sessions/<int:session_id>/registrations/<int:registration_id>/remove/",
        messages.registration_remove,
        name="registration_remove",
    ),
    path(
        "sessions/<int:session_id>/waitlist/<int:entry_id>/",
        host.waitlist_change,
        name="waitlist_change",
    ),
    path("s/<str:code>/you/cancel/", public.cancel_registration, name="cancel_registration"),
    path("sessions/<int:session_id>/questions/add/", host.question_add, name="question_add"),
    path(
        "sessions/<int:session_id>/questions/<int:question_id>/delete/",
        host.question_delete,
        name="question_delete",
    ),
    # Live room: host controls (host-checked, 404 to everyone else)
    path("sessions/<int:session_id>/room/", room.host_room, name="host_room"),
    path(
        "sessions/<int:session_id>/room/heartbeat/<str:phase>/",
        room.host_heartbeat,
        name="host_heartbeat",
    ),
    path("sessions/<int:session_id>/room/start/", room.host_start, name="host_start"),
    path("sessions/<int:session_id>/room/people/", room.host_people, name="host_people"),
    path(
        "sessions/<int:session_id>/room/people/<int:attendance_id>/remove/",
        room.host_remove,
        name="host_remove",
    ),
    path(
        "sessions/<int:session_id>/room/people/<int:attendance_id>/readmit/",
        room.host_readmit,
        name="host_readmit",
    ),
    path("sessions/<int:session_id>/room/media/", room.host_media, name="host_media"),
    path(
        "sessions/<int:session_id>/room/recording-switch/",
        room.host_recording_switch,
        name="host_recording_switch",
    ),
    path("sessions/<int:session_id>/room/leave/", room.host_leave, name="host_leave"),
    path("sessions/<int:session_id>/room/end/", room.host_end, name="host_end"),
    path("sessions/<int:session_id>/complete/", room.host_complete, name="host_complete"),
    path(
        "sessions/<int:session_id>/recordings/",
        room.recording_upload,
        name="recording_upload",
    ),
    path(
        "sessions/<int:session_id>/recordings/<int:recording_id>/",
        room.recording_download,
        name="recording_download",
    ),
    path(
        "sessions/<int:session_id>/recordings/<int:recording_id>/delete/",
        room.recording_delete,
        name="recording_delete",
    ),
    path(
        "sessions/<int:session_id>/recordings/<int:recording_id>/retry/",
        room.recording_retry,
        name="recording_retry",
    ),
    # Live room: attendees, guests and visitors of open sessions
    path("s/<str:code>/enter/", room.room_prejoin, name="room_prejoin"),
    path("s/<str:code>/room/", room.room, name="room"),
    path("s/<str:code>/room/leave/", room.room_leave, name="room_leave"),
    path("s/<str:code>/room/media/", room.room_media, name="room_media"),
    path(
        "room/state/<int:session_id>/<int:attendance_id>/<str:signature>/<str:phase>/",
        room.room_state,
        name="room_state",
    ),
    # Public pages
    path("session-id/", public.session_lookup, name="lookup"),
    path("s/<str:code>/", public.session_public, name="public"),
    path("s/<str:code>/register/", public.session_register, name="register"),
    path("s/<str:code>/registered/", public.session_registered, name="registered"),
    path("s/<str:code>/calendar.ics", public.session_ics, name="ics"),
    path("s/<str:code>/you/", public.my_registration, name="my_registration"),
    path("join/<str:token>/", public.join, name="join"),
    path("join/<str:token>/cancel/", public.join, {"then": "cancel"}, name="join_cancel"),
    path("join/<str:token>/calendar/", public.join, {"then": "calendar"}, name="join_calendar"),
    path("s/<str:code>/you/calendar.ics", public.my_calendar, name="my_calendar"),
    path("calendar/<str:token>.ics", public.calendar_feed, name="calendar_feed"),
    # The video provider's webhook (JaaS recordings), checked by its shared secret.
    path("media/jaas/webhook/", webhooks.jaas_webhook, name="jaas_webhook"),
    # Old addresses of the guests app's pages that lived under s/ and sessions/.
    path("s/<str:code>/guest/", moved("guests:enter")),
    path(
        "sessions/<int:session_id>/guest-link/regenerate/",
        moved("guests:regenerate"),
    ),
]
