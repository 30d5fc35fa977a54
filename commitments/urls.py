from __future__ import annotations

from django.urls import path, re_path

from commitments import host_views, insights_views, views

app_name = "commitments"

MODULE = "programs/<int:program_id>/modules/<int:module_id>"
QUESTION = f"{MODULE}/questions/<int:question_id>"
SESSION = "programs/<int:program_id>/sessions/<int:session_id>"

urlpatterns = [
    # Participants: no account needed.
    path("start/", views.start, name="start"),
    path("start/<str:code>/", views.session_landing, name="session"),
    path("start/<str:code>/commit/", views.commitment_new, name="new"),
    path("commitments/link/<str:token>/", views.commitment_link, name="link"),
    path("commitments/<int:commitment_id>/", views.commitment_detail, name="detail"),
    path("commitments/<int:commitment_id>/check-in/", views.checkin, name="checkin"),
    path("commitments/<int:commitment_id>/reminder/", views.reminder, name="reminder"),
    path("commitments/<int:commitment_id>/reflection/", views.reflection, name="reflection"),
    path("commitments/<int:commitment_id>/end/", views.commitment_end, name="end"),
    # Hosts.
    path(f"{MODULE}/questions/", host_views.questions, name="questions"),
    path(f"{QUESTION}/edit/", host_views.question_edit, name="question_edit"),
    path(f"{QUESTION}/move/", host_views.question_move, name="question_move"),
    path(f"{QUESTION}/archive/", host_views.question_archive, name="question_archive"),
    path(f"{MODULE}/commitments/", host_views.module_commitments, name="module_commitments"),
    path(f"{SESSION}/commitments/", host_views.session_commitments, name="session_commitments"),
    path(
        "programs/<int:program_id>/commitments/<int:commitment_id>/",
        insights_views.host_commitment,
        name="host_commitment",
    ),
    re_path(
        r"^programs/(?P<program_id>[0-9]+)/sessions/(?P<session_id>[0-9]+)/start-qr\.(?P<image_format>png|svg)$",
        host_views.session_qr,
        name="session_qr",
    ),
]
