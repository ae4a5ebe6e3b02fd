from django.urls import path

from gridgov.kpis import views

app_name = "kpis"

urlpatterns = [
    path("", views.kpi_list, name="kpi_list"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("alerts/", views.alert_list, name="alert_list"),
    path("alerts/<int:pk>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
    path("<str:code>/", views.kpi_detail, name="kpi_detail"),
]
