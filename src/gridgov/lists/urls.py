from django.urls import path

from gridgov.lists import views, views_bookings, views_map, views_matching, views_projects

app_name = "lists"

urlpatterns = [
    path("needs/", views.need_list, name="need_list"),
    path("needs/new/", views.need_create, name="need_create"),
    path("needs/<uuid:uid>/", views.need_detail, name="need_detail"),
    path("needs/<uuid:uid>/action/", views.need_action, name="need_action"),
    path("needs/<uuid:uid>/dispatch/", views.need_dispatch, name="need_dispatch"),
    path("matching/", views_matching.matching_index, name="matching_index"),
    path("matching/<uuid:uid>/", views_matching.matching_detail, name="matching_detail"),
    path(
        "matching/<uuid:uid>/confirm-all/",
        views_matching.matching_confirm_all,
        name="matching_confirm_all",
    ),
    path(
        "matching/<uuid:uid>/rows/<uuid:row>/",
        views_matching.matching_row_action,
        name="matching_row_action",
    ),
    path("resources/", views.resource_list, name="resource_list"),
    path("resources/new/", views.resource_create, name="resource_create"),
    path("resources/<uuid:uid>/", views.resource_edit, name="resource_edit"),
    path("resources/<uuid:uid>/operators/", views.resource_operators, name="resource_operators"),
    path("resources/<uuid:uid>/bookable/", views_bookings.space_edit, name="space_edit"),
    path("bookings/", views_bookings.booking_list, name="booking_list"),
    path("bookings/resources/<uuid:uid>/", views_bookings.space_calendar, name="space_calendar"),
    path(
        "bookings/resources/<uuid:uid>/book/",
        views_bookings.booking_create,
        name="booking_create",
    ),
    path("bookings/<uuid:uid>/", views_bookings.booking_detail, name="booking_detail"),
    path("bookings/<uuid:uid>/action/", views_bookings.booking_action, name="booking_action"),
    path("categories/", views.category_list, name="category_list"),
    path("orders/", views.order_list, name="order_list"),
    path("orders/<uuid:uid>/", views.order_detail, name="order_detail"),
    path("orders/<uuid:uid>/action/", views.order_action, name="order_action"),
    path("map/", views_map.need_map, name="need_map"),
    path("map/data/", views_map.need_map_data, name="need_map_data"),
    path("serve/", views.provider_home, name="provider_home"),
    path("serve/<uuid:uid>/", views.provider_order, name="provider_order"),
    path("serve/<uuid:uid>/action/", views.provider_action, name="provider_action"),
    path("serve/<uuid:uid>/address/", views.provider_reveal_address, name="provider_address"),
    path("projects/", views_projects.project_list, name="project_list"),
    path("projects/new/", views_projects.project_create, name="project_create"),
    path("projects/<uuid:uid>/", views_projects.project_detail, name="project_detail"),
    path("projects/<uuid:uid>/edit/", views_projects.project_edit, name="project_edit"),
    path("projects/<uuid:uid>/action/", views_projects.project_action, name="project_action"),
    path("projects/<uuid:uid>/needs/", views_projects.project_link, name="project_link"),
    path("needs/<uuid:uid>/project/", views_projects.need_link_project, name="need_link_project"),
    path("gap/", views_projects.gap_page, name="gap"),
]
