from __future__ import annotations

from django.urls import path, re_path

from commitments.views import host, insights, public

app_name = "commitments"

# Hosts' pages, under commitments/programs/<program>/ (the participants' pages are under
# start/ and commitments/<commitment>/).
PROGRAM = "commitments/programs/<int:program_id>"
MODULE = f"{PROGRAM}/modules/<int:module_id>"
QUESTION = f"{MODULE}/questions/<int:question_id>"
SESSION = f"{PROGRAM}/sessions/<int:session_id>"

urlpatterns = [
    # Participants: no account needed.
    path("start/", public.start, name="start"),
    path("start/<str:code>/", public.session_landing, name="session"),
    path("start/<str:code>/commit/", public.commitment_new, name="new"),
    path("commitments/link/<str:token>/", public.commitment_link, name="link"),
    path("commitments/<int:commitment_id>/", public.commitment_detail, name="detail"),
    path("commitments/<int:commitment_id>/check-in/", public.checkin, name="checkin"),
    path("commitments/<int:commitment_id>/reminder/", public.reminder, name="reminder"),
    path("commitments/<int:commitment_id>/reflection/", public.reflection, name="reflection"),
    path("commitments/<int:commitment_id>/end/", public.commitment_end, name="end"),
    # Hosts.
    path(f"{MODULE}/questions/", host.questions, name="questions"),
    path(f"{QUESTION}/edit/", host.question_edit, name="question_edit"),
    path(f"{QUESTION}/move/", host.question_move, name="question_move"),
    path(f"{QUESTION}/archive/", host.question_archive, name="question_archive"),
    path(f"{MODULE}/", host.module_commitments, name="module_commitments"),
    path(f"{SESSION}/", host.session_commitments, name="session_commitments"),
    path(
        f"{PROGRAM}/<int:commitment_id>/",
        insights.host_commitment,
        name="host_commitment",
    ),
    re_path(
        r"^commitments/programs/(?P<program_id>[0-9]+)/sessions/(?P<session_id>[0-9]+)/start-qr\.(?P<image_format>png|svg)$",
        host.session_qr,
        name="session_qr",
    ),
]
