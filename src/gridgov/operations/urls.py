from django.urls import path

from gridgov.operations import (
    views_catalogue,
    views_devices,
    views_facilities,
    views_supplies,
    views_workforce,
)

app_name = "operations"

urlpatterns = [
    path("supplies/", views_supplies.supply_board, name="supply_board"),
    path("supplies/stores/new/", views_supplies.store_create, name="store_create"),
    path("supplies/stores/<uuid:uid>/", views_supplies.store_detail, name="store_detail"),
    path("supplies/stores/<uuid:uid>/check/", views_supplies.store_check, name="store_check"),
    path("supplies/stores/<uuid:uid>/receive/", views_supplies.store_receive, name="store_receive"),
    path("supplies/stores/<uuid:uid>/move/", views_supplies.store_move, name="store_move"),
    path("supplies/transfers/", views_supplies.transfer_suggest, name="transfer_suggest"),
    path("supplies/dispatches/", views_supplies.dispatch_list, name="dispatch_list"),
    path("supplies/dispatches/new/", views_supplies.dispatch_create, name="dispatch_create"),
    path(
        "supplies/dispatches/<uuid:uid>/receive/",
        views_supplies.dispatch_receive,
        name="dispatch_receive",
    ),
    path("devices/", views_devices.device_board, name="device_board"),
    path("devices/new/", views_devices.device_create, name="device_create"),
    path("devices/repairs/", views_devices.ticket_list, name="ticket_list"),
    path("devices/repairs/<uuid:uid>/", views_devices.ticket_action, name="ticket_action"),
    path("devices/alarms/", views_devices.alarm_list, name="alarm_list"),
    path("devices/alarms/<uuid:uid>/", views_devices.alarm_verdict, name="alarm_verdict"),
    path("devices/<uuid:uid>/", views_devices.device_detail, name="device_detail"),
    path("devices/<uuid:uid>/action/", views_devices.device_action, name="device_action"),
    path("facilities/", views_facilities.facility_board, name="facility_board"),
    path("facilities/new/", views_facilities.facility_create, name="facility_create"),
    path("facilities/<uuid:uid>/", views_facilities.facility_detail, name="facility_detail"),
    path("facilities/<uuid:uid>/spaces/", views_facilities.space_create, name="space_create"),
    path("facilities/spaces/<uuid:uid>/use/", views_facilities.space_use, name="space_use"),
    path("facilities/tasks/<uuid:uid>/close/", views_facilities.task_close, name="task_close"),
    path("services/", views_catalogue.model_list, name="model_list"),
    path("services/new/", views_catalogue.model_create, name="model_create"),
    path("services/days/", views_catalogue.day_create, name="day_create"),
    path("services/grids/<str:code>/", views_catalogue.grid_catalogue, name="grid_catalogue"),
    path("services/<uuid:uid>/", views_catalogue.model_detail, name="model_detail"),
    path("services/<uuid:uid>/items/", views_catalogue.model_item, name="model_item"),
    path("services/<uuid:uid>/status/", views_catalogue.model_status, name="model_status"),
    path("workforce/", views_workforce.worker_list, name="worker_list"),
    path("workforce/<int:user_id>/", views_workforce.worker_detail, name="worker_detail"),
    path("workforce/<int:user_id>/profile/", views_workforce.worker_profile, name="worker_profile"),
    path(
        "workforce/<int:user_id>/certificates/",
        views_workforce.worker_certificate,
        name="worker_certificate",
    ),
    path(
        "workforce/<int:user_id>/trainings/",
        views_workforce.worker_training,
        name="worker_training",
    ),
]
