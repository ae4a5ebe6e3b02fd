from django.urls import path

from gridgov.participation import views_surveys as views

urlpatterns = [
    path("surveys/", views.survey_list, name="survey_list"),
    path("surveys/new/", views.survey_create, name="survey_create"),
    path("surveys/satisfaction/", views.survey_satisfaction, name="survey_satisfaction"),
    path("surveys/<uuid:uid>/", views.survey_detail, name="survey_detail"),
    path("surveys/<uuid:uid>/edit/", views.survey_edit, name="survey_edit"),
    path("surveys/<uuid:uid>/action/", views.survey_action, name="survey_action"),
    path("surveys/<uuid:uid>/questions/new/", views.question_create, name="question_create"),
    path("surveys/<uuid:uid>/questions/<int:qid>/", views.question_edit, name="question_edit"),
    path(
        "surveys/<uuid:uid>/questions/<int:qid>/action/",
        views.question_action,
        name="question_action",
    ),
    path("surveys/<uuid:uid>/results/", views.survey_results, name="survey_results"),
    path("surveys/<uuid:uid>/export/", views.survey_export, name="survey_export"),
    path("surveys/<uuid:uid>/qr.svg", views.survey_qr, name="survey_qr"),
    path("assist/surveys/", views.assist_list, name="assist_list"),
    path("assist/surveys/<uuid:uid>/", views.assist_entry, name="assist_entry"),
    path("me/surveys/", views.my_surveys, name="my_surveys"),
    path("me/surveys/<uuid:uid>/", views.my_survey_answer, name="my_survey_answer"),
    path("me/surveys/<uuid:uid>/thanks/", views.my_survey_thanks, name="my_survey_thanks"),
    path("s/<str:token>/", views.public_survey, name="public_survey"),
]
