from __future__ import annotations

from django.urls import path

from programs import brand_views, views

app_name = "programs"

urlpatterns = [
    path("programs/", views.dashboard, name="dashboard"),
    path("programs/new/", views.program_create, name="create"),
    path("programs/<int:program_id>/", views.program_overview, name="overview"),
    path("programs/<int:program_id>/edit/", views.program_edit, name="edit"),
    path("programs/<int:program_id>/brand/", brand_views.program_brand, name="brand"),
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
    path("invitations/<str:token>/", views.invitation, name="invitation"),
    path("accounts/signup/", views.sign_up, name="signup"),
    path("time-zone/", views.set_time_zone, name="set_time_zone"),
]
