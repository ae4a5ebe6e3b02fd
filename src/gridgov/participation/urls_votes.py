"""Votes: staff pages under /participation/votes/, the resident's under
/participation/me/votes/."""

from django.urls import path

from gridgov.participation import views_votes as views

urlpatterns = [
    path("votes/", views.vote_list, name="vote_list"),
    path("votes/new/<int:topic>/", views.vote_create, name="vote_create"),
    path("votes/<uuid:uid>/", views.vote_detail, name="vote_detail"),
    path("votes/<uuid:uid>/action/", views.vote_action, name="vote_action"),
    path("votes/<uuid:uid>/paper/", views.vote_paper, name="vote_paper"),
    path("votes/representatives/", views.representative_list, name="representative_list"),
    path(
        "votes/representatives/change/",
        views.representative_change,
        name="representative_change",
    ),
    path("me/votes/", views.my_votes, name="my_votes"),
    path("me/votes/<uuid:uid>/", views.my_vote, name="my_vote"),
    path("me/votes/<uuid:uid>/receipt/", views.my_vote_receipt, name="my_vote_receipt"),
]
