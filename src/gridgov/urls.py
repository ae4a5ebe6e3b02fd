from django.urls import include, path
from django.views.i18n import set_language

from gridgov.api import api
from gridgov.core.permissions import public

urlpatterns = [
    path("", include("gridgov.core.urls")),
    path("accounts/", include("gridgov.accounts.urls")),
    path("org/", include("gridgov.org.urls")),
    path("audit/", include("gridgov.audit.urls")),
    path("people/", include("gridgov.people.urls")),
    path("events/", include("gridgov.events.urls")),
    path("visits/", include("gridgov.visits.urls")),
    path("lists/", include("gridgov.lists.urls")),
    path("participation/", include("gridgov.participation.urls")),
    path("groups/", include("gridgov.groups.urls")),
    path("operations/", include("gridgov.operations.urls")),
    path("kpis/", include("gridgov.kpis.urls")),
    path("open311/v2/", include("gridgov.events.open311_urls")),
    path("i18n/setlang/", public(set_language), name="set_language"),
    path("api/v1/", api.urls),
]

handler400 = "gridgov.core.views.error_400"
handler403 = "gridgov.core.views.error_403"
handler404 = "gridgov.core.views.error_404"
handler500 = "gridgov.core.views.error_500"
