from django.urls import path

from gridgov.events import views, views_admin, views_public

app_name = "events"

urlpatterns = [
    path("", views.event_list, name="event_list"),
    path("mine/", views.my_events, name="my_events"),
    path("new/", views.event_report, name="event_report"),
    path("reported/", views.my_reports, name="my_reports"),
    path("map/", views.event_map, name="event_map"),
    path("photos/<uuid:uid>/", views.event_photo, name="event_photo"),
    path("photos/<uuid:uid>/public/", views.photo_publish, name="event_photo_publish"),
    path("categories/", views_admin.category_list, name="category_list"),
    path("categories/<int:pk>/", views_admin.category_edit, name="category_edit"),
    path("categories/train/", views_admin.classifier_train, name="classifier_train"),
    path("calendar/", views_admin.calendar, name="calendar"),
    path("calendar/change/", views_admin.calendar_change, name="calendar_change"),
    path("report/", views_public.public_report, name="public_report"),
    path("track/", views_public.track, name="track"),
    path("track/<str:code>/photos/<uuid:uid>/", views_public.public_photo, name="public_photo"),
    path("hooks/device/<str:code>/", views_public.device_hook, name="device_hook"),
    path("<uuid:uid>/", views.event_detail, name="event_detail"),
    path("<uuid:uid>/act/", views.event_act, name="event_act"),
    path("<uuid:uid>/reveal/", views.event_reveal_contact, name="event_reveal_contact"),
]
