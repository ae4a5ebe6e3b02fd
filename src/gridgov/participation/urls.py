"""Staff pages under /participation/ and the resident's own pages under
/participation/me/ (phone first; the resident portal links to them)."""

from django.urls import path

from gridgov.participation import urls_boards, urls_points, urls_surveys, views_hub
from gridgov.participation.urls_deliberation import urlpatterns as deliberation_patterns
from gridgov.participation.urls_volunteers import urlpatterns as volunteer_patterns
from gridgov.participation.urls_votes import urlpatterns as vote_patterns

app_name = "participation"

# Each part adds its own patterns (urls_<part>.py) here.
urlpatterns = [
    path("me/", views_hub.me_home, name="me_home"),
    *deliberation_patterns,
    *volunteer_patterns,
    *vote_patterns,
    *urls_points.urlpatterns,
    *urls_surveys.urlpatterns,
    *urls_boards.urlpatterns,
]
