from django.urls import path

from gridgov.participation import views_points as views

urlpatterns = [
    path("points/", views.points_overview, name="points_overview"),
    path("points/approvals/", views.points_approvals, name="points_approvals"),
    path(
        "points/approvals/<uuid:uid>/",
        views.points_approval_decide,
        name="points_approval_decide",
    ),
    path("points/residents/<uuid:uid>/", views.points_statement, name="points_statement"),
    path("points/residents/<uuid:uid>/correct/", views.points_correct, name="points_correct"),
    path("timebank/residents/<uuid:uid>/withdraw/", views.hours_withdraw, name="hours_withdraw"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("catalogue/<uuid:uid>/", views.catalogue_item, name="catalogue_item"),
    path("redemptions/", views.redemption_list, name="redemption_list"),
    path("redemptions/pickup/", views.redemption_pickup, name="redemption_pickup"),
    path("redemptions/<uuid:uid>/cancel/", views.redemption_cancel, name="redemption_cancel"),
    path("me/points/", views.my_points, name="my_points"),
    path("me/points/catalogue/", views.my_catalogue, name="my_catalogue"),
    path("me/points/redeem/<uuid:uid>/", views.my_redeem, name="my_redeem"),
    path("me/timebank/", views.my_timebank, name="my_timebank"),
]
