from django.urls import path

from gridgov.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.record_list, name="record_list"),
    path("export.csv", views.record_export, name="record_export"),
]
