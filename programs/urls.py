from __future__ import annotations

from django.urls import path, re_path

from programs.moved import moved
from programs.views import brand, host, insights, members, planning, public, round_preview, rounds

app_name = "programs"

urlpatterns = [
    path("programs/", host.dashboard, name="dashboard"),
    path("programs/new/", host.program_create, name="create"),
    path("programs/<int:program_id>/", host.program_overview, name="overview"),
    path("programs/<int:program_id>/edit/", host.program_edit, name="edit"),
    path("programs/<int:program_id>/brand/", brand.program_brand, name="brand"),
    path("brand/<int:program_id>/logo/<str:name>", brand.brand_logo, name="brand_logo"),
    path("programs/<int:program_id>/modules/new/", host.module_create, name="module_create"),
    path(
        "programs/<int:program_id>/modules/<int:module_id>/edit/",
        host.module_edit,
        name="module_edit",
    ),
    path(
        "programs/<int:program_id>/modules/<int:module_id>/move/",
        host.module_move,
        name="module_move",
    ),
    path(
        "programs/<int:program_id>/modules/<int:module_id>/toggle/",
        host.module_toggle,
        name="module_toggle",
    ),
    path("programs/<int:program_id>/hosts/invite/", host.host_invite, name="host_invite"),
    path(
        "programs/<int:program_id>/hosts/<int:host_role_id>/remove/",
        host.host_remove,
        name="host_remove",
    ),
    # The roster.
    path("programs/<int:program_id>/members/", members.member_list, name="member_list"),
    path(
        "programs/<int:program_id>/members/upload/",
        members.member_upload,
        name="member_upload",
    ),
    path(
        "programs/<int:program_id>/members/upload/confirm/",
        members.member_upload_confirm,
        name="member_upload_confirm",
    ),
    path(
        "programs/<int:program_id>/members/<int:member_id>/status/",
        members.member_status,
        name="member_status",
    ),
    # Matching rounds.
    path("programs/<int:program_id>/rounds/", rounds.round_list, name="round_list"),
    path(
        "programs/<int:program_id>/rounds/settings/",
        rounds.matching_settings,
        name="matching_settings",
    ),
    path("programs/<int:program_id>/rounds/new/", rounds.round_create, name="round_create"),
    path(
        "programs/<int:program_id>/rounds/<int:round_id>/",
        rounds.round_detail,
        name="round_detail",
    ),
    path(
        "programs/<int:program_id>/rounds/<int:round_id>/live/",
        rounds.round_live,
        name="round_live",
    ),
    path(
        "programs/<int:program_id>/rounds/<int:round_id>/schedule/",
        rounds.round_edit,
        name="round_edit",
    ),
    path(
        "programs/<int:program_id>/rounds/<int:round_id>/cancel/",
        rounds.round_cancel,
        name="round_cancel",
    ),
    # Planning.
    path(
        "programs/<int:program_id>/planning/",
        planning.program_planning,
        name="program_planning",
    ),
    path("planning/", planning.host_planning, name="planning"),
    # Insights.
    path(
        "programs/<int:program_id>/insights/",
        insights.program_insights,
        name="program_insights",
    ),
    path(
        "programs/<int:program_id>/insights/<slug:section>/<slug:figure>.csv",
        insights.program_insights_csv,
        name="program_insights_csv",
    ),
    path(
        "programs/<int:program_id>/rounds/<int:round_id>/grouping/",
        round_preview.round_grouping,
        name="round_grouping",
    ),
    path(
        "programs/<int:program_id>/rounds/<int:round_id>/grouping/swap/",
        round_preview.round_grouping_swap,
        name="round_grouping_swap",
    ),
    path("insights/", insights.host_insights, name="insights"),
    path(
        "insights/<slug:section>/<slug:figure>.csv",
        insights.host_insights_csv,
        name="insights_csv",
    ),
    # Members' own links (no account).
    path(
        "rounds/<int:round_id>/answer/<str:token>/<str:answer>/",
        public.opt_in_answer,
        name="opt_in_answer",
    ),
    path("rounds/<int:round_id>/answer/", public.opt_in_status, name="opt_in_status"),
    # Before the token route, which would match an id too.
    path(
        "membership/<int:member_id>/<str:action>/",
        public.member_self_service_page,
        name="member_self_service_page",
    ),
    path(
        "membership/<str:token>/<str:action>/",
        public.member_self_service,
        name="member_self_service",
    ),
    path("invitations/<str:token>/", host.invitation, name="invitation"),
    path("invitations/<int:invitation_id>/accept/", host.invitation_page, name="invitation_page"),
    path("signup/", host.sign_up, name="signup"),
    path("time-zone/", host.set_time_zone, name="set_time_zone"),
    path("time-zone/times/", public.zone_times, name="zone_times"),
    # Old addresses of other apps' host pages that lived under programs/ (ARCHITECTURE.md, URLs).
    path(
        "programs/<int:program_id>/sessions/new/",
        moved("sessions_app:session_create"),
    ),
    path(
        "programs/<int:program_id>/modules/<int:module_id>/questions/",
        moved("commitments:questions"),
    ),
    path(
        "programs/<int:program_id>/modules/<int:module_id>/questions/<int:question_id>/edit/",
        moved("commitments:question_edit"),
    ),
    path(
        "programs/<int:program_id>/modules/<int:module_id>/questions/<int:question_id>/move/",
        moved("commitments:question_move"),
    ),
    path(
        "programs/<int:program_id>/modules/<int:module_id>/questions/<int:question_id>/archive/",
        moved("commitments:question_archive"),
    ),
    path(
        "programs/<int:program_id>/modules/<int:module_id>/commitments/",
        moved("commitments:module_commitments"),
    ),
    path(
        "programs/<int:program_id>/sessions/<int:session_id>/commitments/",
        moved("commitments:session_commitments"),
    ),
    path(
        "programs/<int:program_id>/commitments/<int:commitment_id>/",
        moved("commitments:host_commitment"),
    ),
    re_path(
        r"^programs/(?P<program_id>[0-9]+)/sessions/(?P<session_id>[0-9]+)/start-qr\.(?P<image_format>png|svg)$",
        moved("commitments:session_qr"),
    ),
]
