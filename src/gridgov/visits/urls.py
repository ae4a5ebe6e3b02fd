from django.urls import path

from gridgov.visits import views, views_catalogue

app_name = "visits"

urlpatterns = [
    path("today/", views.today, name="today"),
    path("reviews/", views.review_queue, name="review_queue"),
    path("tasks/", views.task_board, name="task_board"),
    path("spot-checks/", views.spot_check_list, name="spot_check_list"),
    path("spot-checks/<uuid:uid>/", views.spot_check_record, name="spot_check_record"),
    path("households/<uuid:uid>/new/", views.visit_form, name="visit_form"),
    path("households/<uuid:uid>/paper.pdf", views.paper_form, name="paper_form"),
    path("conflicts/<uuid:uid>/", views.conflict_resolve, name="conflict_resolve"),
    path("catalogue/", views_catalogue.catalogue, name="catalogue"),
    path("catalogue/new/", views_catalogue.indicator_create, name="indicator_create"),
    path("catalogue/categories/new/", views_catalogue.category_edit, name="category_create"),
    path("catalogue/categories/<slug:code>/", views_catalogue.category_edit, name="category_edit"),
    path("catalogue/<slug:code>/", views_catalogue.indicator_edit, name="indicator_edit"),
    path(
        "catalogue/<slug:code>/status/", views_catalogue.indicator_status, name="indicator_status"
    ),
    path("<uuid:uid>/", views.visit_detail, name="visit_detail"),
    path("<uuid:uid>/review/", views.visit_review, name="visit_review"),
    path("<uuid:uid>/attachments/", views.visit_attach, name="visit_attach"),
    path("attachments/<uuid:uid>/", views.attachment_file, name="attachment_file"),
]
