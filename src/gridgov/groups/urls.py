from django.urls import path

from gridgov.groups import views

app_name = "groups"

urlpatterns = [
    path("", views.group_list, name="group_list"),
    path("mine/", views.my_groups, name="my_groups"),
    path("new/", views.group_create, name="group_create"),
    path("evidence/<uuid:uid>/", views.evidence_file, name="evidence_file"),
    path("<uuid:uid>/", views.group_detail, name="group_detail"),
    path("<uuid:uid>/edit/", views.group_edit, name="group_edit"),
    path("<uuid:uid>/action/", views.group_action, name="group_action"),
    path("<uuid:uid>/evidence/", views.evidence_add, name="evidence_add"),
]
