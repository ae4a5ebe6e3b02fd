from django.urls import path

from gridgov.participation import views_boards as views

urlpatterns = [
    path("bylaws/", views.bylaw_list, name="bylaw_list"),
    path("bylaws/new/", views.bylaw_create, name="bylaw_create"),
    path("bylaws/<int:bylaw_id>/", views.bylaw_edit, name="bylaw_edit"),
    path("compliance/", views.entry_list, name="entry_list"),
    path("compliance/new/", views.entry_create, name="entry_create"),
    path("compliance/<uuid:uid>/", views.entry_detail, name="entry_detail"),
    path("compliance/<uuid:uid>/action/", views.entry_action, name="entry_action"),
    path("boards/", views.board_staff, name="board_staff"),
    path("boards/publish/", views.board_publish, name="board_publish"),
    path("me/boards/", views.board_mine, name="board_mine"),
]
