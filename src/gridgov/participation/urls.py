"""Staff pages under /participation/ and the resident's own pages under
/participation/me/ (phone first; the resident portal links to them)."""

from django.urls import path

from gridgov.participation import views_hub

app_name = "participation"

urlpatterns = [
    path("me/", views_hub.me_home, name="me_home"),
]
