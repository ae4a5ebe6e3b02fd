from django.urls import path

from gridgov.lists import views, views_map

app_name = "lists"

urlpatterns = [
    path("needs/", views.need_list, name="need_list"),
    path("needs/new/", views.need_create, name="need_create"),
    path("needs/<uuid:uid>/", views.need_detail, name="need_detail"),
    path("needs/<uuid:uid>/action/", views.need_action, name="need_action"),
    path("needs/<uuid:uid>/dispatch/", views.need_dispatch, name="need_dispatch"),
    path("resources/", views.resource_list, name="resource_list"),
    path("resources/new/", views.resource_create, name="resource_create"),
    path("resources/<uuid:uid>/", views.resource_edit, name="resource_edit"),
    path("categories/", views.category_list, name="category_list"),
    path("orders/", views.order_list, name="order_list"),
    path("orders/<uuid:uid>/", views.order_detail, name="order_detail"),
    path("orders/<uuid:uid>/action/", views.order_action, name="order_action"),
    path("map/", views_map.need_map, name="need_map"),
    path("map/data/", views_map.need_map_data, name="need_map_data"),
]
