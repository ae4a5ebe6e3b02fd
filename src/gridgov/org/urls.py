from django.urls import path

from gridgov.org import views

app_name = "org"
urlpatterns = [
    path("units/", views.unit_tree, name="unit_tree"),
    path("units/<str:code>/", views.unit_detail, name="unit_detail"),
    path("units/<str:code>/new/", views.unit_create, name="unit_create"),
    path("units/<str:code>/edit/", views.unit_edit, name="unit_edit"),
    path("grids/", views.grid_list, name="grid_list"),
    path("grids/map/", views.grid_map, name="grid_map"),
    path("grids/import/", views.grid_import, name="grid_import"),
    path("grids/<str:code>/", views.grid_detail, name="grid_detail"),
    path("grids/<str:code>/staff/", views.grid_assign, name="grid_assign"),
]
