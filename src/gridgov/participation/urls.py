"""Staff pages under /participation/ and the resident's own pages under
/participation/me/ (phone first; the resident portal links to them)."""

from django.urls import path

from gridgov.participation import urls_boards, views_hub
from gridgov.participation.urls_volunteers import urlpatterns as volunteer_patterns

app_name = "participation"

# Each part adds its own patterns (urls_<part>.py) here.
urlpatterns = [
    path("me/", views_hub.me_home, name="me_home"),
    *volunteer_patterns,
    *urls_boards.urlpatterns,
]
