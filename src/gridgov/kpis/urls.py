from django.urls import path

from gridgov.kpis import views, views_boards, views_reports

app_name = "kpis"

urlpatterns = [
    path("", views.kpi_list, name="kpi_list"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("mine/", views.my_numbers, name="my_numbers"),
    path("command/", views.command_screen, name="command_screen"),
    path("alerts/", views.alert_list, name="alert_list"),
    path("boards/visits/", views_boards.board, {"code": "visits"}, name="visit_board"),
    path("boards/<slug:code>/", views_boards.board, name="board"),
    path("reports/", views_reports.report_list, name="report_list"),
    path("reports/new/", views_reports.report_request, name="report_request"),
    path("reports/<uuid:uid>.<str:fmt>", views_reports.report_download, name="report_download"),
    path("alerts/<int:pk>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
    path("<str:code>/", views.kpi_detail, name="kpi_detail"),
]
