from django.urls import path

from gridgov.groups import (
    views,
    views_campaigns,
    views_collection,
    views_crosschecks,
    views_feedback,
    views_rectifications,
    views_snapshots,
    views_treatments,
    views_warnings,
)

app_name = "groups"

urlpatterns = [
    path("", views.group_list, name="group_list"),
    path("mine/", views.my_groups, name="my_groups"),
    path("collection/", views_collection.collection_plan, name="collection_plan"),
    path("new/", views.group_create, name="group_create"),
    path("evidence/<uuid:uid>/", views.evidence_file, name="evidence_file"),
    path("cross-checks/", views_crosschecks.crosscheck_list, name="crosscheck_list"),
    path("scores/", views_rectifications.score_board, name="score_board"),
    path("scores/recompute/", views_rectifications.score_recompute, name="score_recompute"),
    path("rectifications/", views_rectifications.rectification_list, name="rectification_list"),
    path(
        "rectifications/evidence/<uuid:uid>/",
        views_rectifications.rectification_evidence_file,
        name="rectification_evidence_file",
    ),
    path(
        "rectifications/<uuid:uid>/",
        views_rectifications.rectification_detail,
        name="rectification_detail",
    ),
    path(
        "rectifications/<uuid:uid>/action/",
        views_rectifications.rectification_action,
        name="rectification_action",
    ),
    path(
        "rectifications/<uuid:uid>/evidence/",
        views_rectifications.rectification_evidence_add,
        name="rectification_evidence_add",
    ),
    path("warnings/", views_warnings.warning_list, name="warning_list"),
    path("warnings/<uuid:uid>/", views_warnings.warning_detail, name="warning_detail"),
    path("warnings/<uuid:uid>/action/", views_warnings.warning_action, name="warning_action"),
    path("risk/", views_warnings.risk_list, name="risk_list"),
    path("treatments/", views_treatments.treatment_list, name="treatment_list"),
    path("resident/", views_feedback.resident_groups, name="resident_groups"),
    path("resident/<uuid:uid>/", views_feedback.resident_feedback, name="resident_feedback"),
    path("suggestions/", views_feedback.suggestion_list, name="suggestion_list"),
    path(
        "suggestions/<uuid:uid>/golden/",
        views_feedback.suggestion_golden,
        name="suggestion_golden",
    ),
    path("risk/<int:compound_id>/", views_warnings.risk_detail, name="risk_detail"),
    path("campaigns/", views_campaigns.campaign_list, name="campaign_list"),
    path("campaigns/new/", views_campaigns.campaign_create, name="campaign_create"),
    path("campaigns/<uuid:uid>/", views_campaigns.campaign_board, name="campaign_board"),
    path("campaigns/<uuid:uid>/action/", views_campaigns.campaign_action, name="campaign_action"),
    path("campaigns/<uuid:uid>/qr.svg", views_campaigns.campaign_qr, name="campaign_qr"),
    path("progress/<str:token>/", views_campaigns.campaign_public, name="campaign_public"),
    path("<uuid:uid>/", views.group_detail, name="group_detail"),
    path("<uuid:uid>/exports/", views_warnings.group_exports, name="group_exports"),
    path(
        "<uuid:uid>/treatment/",
        views_treatments.group_treatment_action,
        name="group_treatment_action",
    ),
    path(
        "<uuid:uid>/exports/action/",
        views_warnings.group_exports_action,
        name="group_exports_action",
    ),
    path("<uuid:uid>/edit/", views.group_edit, name="group_edit"),
    path("<uuid:uid>/action/", views.group_action, name="group_action"),
    path("<uuid:uid>/evidence/", views.evidence_add, name="evidence_add"),
    path("<uuid:uid>/report/", views_snapshots.snapshot_form, name="snapshot_form"),
    path("<uuid:uid>/cross-check/", views_crosschecks.crosscheck_form, name="crosscheck_form"),
]
