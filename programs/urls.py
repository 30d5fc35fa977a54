from __future__ import annotations

from django.urls import path

from programs import (
    brand_views,
    views,
    views_insights,
    views_members,
    views_planning,
    views_public,
    views_round_preview,
    views_rounds,
)

app_name = "programs"

urlpatterns = [
    path("programs/", views.dashboard, name="dashboard"),
    path("programs/new/", views.program_create, name="create"),
    path("programs/<int:program_id>/", views.program_overview, name="overview"),
    path("programs/<int:program_id>/edit/", views.program_edit, name="edit"),
    path("programs/<int:program_id>/brand/", brand_views.program_brand, name="brand"),
    path("brand/<int:program_id>/logo/<str:name>", brand_views.brand_logo, name="brand_logo"),
    path("programs/<int:program_id>/modules/new/", views.module_create, name="module_create"),
    path(
        "programs/<int:program_id>/modules/<int:module_id>/edit/",
        views.module_edit,
        name="module_edit",
    ),
    path(
        "programs/<int:program_id>/modules/<int:module_id>/move/",
        views.module_move,
        name="module_move",
    ),
    path(
        "programs/<int:program_id>/modules/<int:module_id>/toggle/",
        views.module_toggle,
        name="module_toggle",
    ),
    path("programs/<int:program_id>/hosts/invite/", views.host_invite, name="host_invite"),
    path(
        "programs/<int:program_id>/hosts/<int:host_role_id>/remove/",
        views.host_remove,
        name="host_remove",
    ),
    # The roster.
    path("programs/<int:program_id>/members/", views_members.member_list, name="member_list"),
    path(
        "programs/<int:program_id>/members/upload/",
        views_members.member_upload,
        name="member_upload",
    ),
    path(
        "programs/<int:program_id>/members/upload/confirm/",
        views_members.member_upload_confirm,
        name="member_upload_confirm",
    ),
    path(
        "programs/<int:program_id>/members/<int:member_id>/status/",
        views_members.member_status,
        name="member_status",
    ),
    # Matching rounds.
    path("programs/<int:program_id>/rounds/", views_rounds.round_list, name="round_list"),
    path(
        "programs/<int:program_id>/rounds/settings/",
        views_rounds.matching_settings,
        name="matching_settings",
    ),
    path("programs/<int:program_id>/rounds/new/", views_rounds.round_create, name="round_create"),
    path(
        "programs/<int:program_id>/rounds/<int:round_id>/",
        views_rounds.round_detail,
        name="round_detail",
    ),
    path(
        "programs/<int:program_id>/rounds/<int:round_id>/live/",
        views_rounds.round_live,
        name="round_live",
    ),
    path(
        "programs/<int:program_id>/rounds/<int:round_id>/schedule/",
        views_rounds.round_edit,
        name="round_edit",
    ),
    path(
        "programs/<int:program_id>/rounds/<int:round_id>/cancel/",
        views_rounds.round_cancel,
        name="round_cancel",
    ),
    # Planning.
    path(
        "programs/<int:program_id>/planning/",
        views_planning.program_planning,
        name="program_planning",
    ),
    path("planning/", views_planning.host_planning, name="planning"),
    # Insights.
    path(
        "programs/<int:program_id>/insights/",
        views_insights.program_insights,
        name="program_insights",
    ),
    path(
        "programs/<int:program_id>/insights/<slug:section>/<slug:figure>.csv",
        views_insights.program_insights_csv,
        name="program_insights_csv",
    ),
    path(
        "programs/<int:program_id>/rounds/<int:round_id>/grouping/",
        views_round_preview.round_grouping,
        name="round_grouping",
    ),
    path(
        "programs/<int:program_id>/rounds/<int:round_id>/grouping/swap/",
        views_round_preview.round_grouping_swap,
        name="round_grouping_swap",
    ),
    path("insights/", views_insights.host_insights, name="insights"),
    path(
        "insights/<slug:section>/<slug:figure>.csv",
        views_insights.host_insights_csv,
        name="insights_csv",
    ),
    # Members' own links (no account).
    path(
        "rounds/<int:round_id>/answer/<str:token>/<str:answer>/",
        views_public.opt_in_answer,
        name="opt_in_answer",
    ),
    path("rounds/<int:round_id>/answer/", views_public.opt_in_status, name="opt_in_status"),
    # Before the token route, which would match an id too.
    path(
        "membership/<int:member_id>/<str:action>/",
        views_public.member_self_service_page,
        name="member_self_service_page",
    ),
    path(
        "membership/<str:token>/<str:action>/",
        views_public.member_self_service,
        name="member_self_service",
    ),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
    path("invitations/<int:invitation_id>/accept/", views.invitation_page, name="invitation_page"),
    path("accounts/signup/", views.sign_up, name="signup"),
    path("time-zone/", views.set_time_zone, name="set_time_zone"),
]
