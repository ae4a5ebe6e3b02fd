from django.urls import path

from gridgov.participation import views_volunteer_me as me
from gridgov.participation import views_volunteers as views

urlpatterns = [
    path("volunteers/", views.volunteer_list, name="volunteer_list"),
    path("volunteers/register/", views.volunteer_register, name="volunteer_register"),
    path("volunteers/<uuid:uid>/", views.volunteer_detail, name="volunteer_detail"),
    path("volunteers/teams/", views.team_list, name="team_list"),
    path("volunteers/activities/", views.activity_list, name="activity_list"),
    path("volunteers/activities/new/", views.activity_create, name="activity_create"),
    path("volunteers/activities/<uuid:uid>/", views.activity_detail, name="activity_detail"),
    path("volunteers/approvals/", views.approval_queue, name="approval_queue"),
    path("volunteers/approvals/<uuid:uid>/", views.record_approve, name="record_approve"),
    path("me/volunteer/", me.me_volunteer, name="me_volunteer"),
    path("me/volunteer/register/", me.me_register, name="me_register"),
    path("me/volunteer/shifts/", me.me_shifts, name="me_shifts"),
    path("me/volunteer/shifts/<uuid:uid>/sign-up/", me.me_sign_up, name="me_sign_up"),
    path("me/volunteer/records/<uuid:uid>/", me.me_record, name="me_record"),
    path("me/volunteer/records/<uuid:uid>/cancel/", me.me_cancel, name="me_cancel"),
    path("me/volunteer/records/<uuid:uid>/check-in/", me.me_check_in, name="me_check_in"),
    path("me/volunteer/records/<uuid:uid>/check-out/", me.me_check_out, name="me_check_out"),
    path("me/volunteer/hours/", me.me_hours, name="me_hours"),
    path("me/volunteer/approvals/", me.me_approvals, name="me_approvals"),
    path("me/volunteer/approvals/<uuid:uid>/", me.me_approve, name="me_approve"),
]
