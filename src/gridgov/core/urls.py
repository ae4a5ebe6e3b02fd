from django.urls import path

from gridgov.core import offline, views, views_policies

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("sw.js", offline.service_worker, name="service_worker"),
    path("manifest.webmanifest", offline.manifest, name="manifest"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read/", views.inbox_read, name="inbox_read"),
    path("policies/", views_policies.policy_list, name="policy_list"),
    path("policies/<str:key>/", views_policies.policy_edit, name="policy_edit"),
    path("map/tiles/<int:z>/<int:x>/<int:y>", views.map_tile, name="map_tile"),
]
