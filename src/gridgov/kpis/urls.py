from django.urls import path

from gridgov.kpis import views

app_name = "kpis"

urlpatterns = [
    path("", views.kpi_list, name="kpi_list"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("<str:code>/", views.kpi_detail, name="kpi_detail"),
]
