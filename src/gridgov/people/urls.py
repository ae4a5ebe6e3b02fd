from django.urls import path

from gridgov.people import views, views_imports

app_name = "people"
urlpatterns = [
    path("residents/", views.resident_list, name="resident_list"),
    path("residents/export/", views.resident_export, name="resident_export"),
    path("residents/<uuid:uid>/edit/", views.resident_edit, name="resident_edit"),
    path("residents/<uuid:uid>/archive/", views.resident_archive, name="resident_archive"),
    path("residents/<uuid:uid>/verify/", views.resident_verify, name="resident_verify"),
    path("residents/<uuid:uid>/reveal/", views.resident_reveal, name="resident_reveal"),
    path("residents/<uuid:uid>/tags/", views.resident_tag, name="resident_tag"),
    path("residents/<uuid:uid>/consents/", views.resident_consent, name="resident_consent"),
    path("households/", views.household_list, name="household_list"),
    path("households/new/", views.household_create, name="household_create"),
    path("households/<uuid:uid>/", views.household_detail, name="household_detail"),
    path("households/<uuid:uid>/edit/", views.household_edit, name="household_edit"),
    path("households/<uuid:uid>/residents/new/", views.resident_create, name="resident_create"),
    path("duplicates/", views.duplicate_list, name="duplicate_list"),
    path("imports/", views_imports.import_list, name="import_list"),
    path("imports/template.xlsx", views_imports.import_template, name="import_template"),
    path("imports/<uuid:uid>/", views_imports.import_detail, name="import_detail"),
    path("imports/<uuid:uid>/report.xlsx", views_imports.import_report, name="import_report"),
]
