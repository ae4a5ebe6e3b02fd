from django.urls import path

from gridgov.participation import views_deliberation as d

urlpatterns = [
    path("topics/", d.topic_list, name="topic_list"),
    path("topics/new/", d.topic_create, name="topic_create"),
    path("topics/<int:pk>/", d.topic_detail, name="topic_detail"),
    path("topics/<int:pk>/edit/", d.topic_edit, name="topic_edit"),
    path("topics/<int:pk>/action/", d.topic_action, name="topic_action"),
    path("topics/<int:pk>/decision/", d.topic_decide, name="topic_decide"),
    path("topics/<int:pk>/implementation/", d.topic_implementation, name="topic_implementation"),
    path("topics/<int:pk>/report-back/", d.topic_report, name="topic_report"),
    path("topics/<int:pk>/documents/", d.topic_documents, name="topic_documents"),
    path("topics/<int:pk>/documents/<uuid:uid>/", d.topic_document, name="topic_document"),
    path("topics/<int:pk>/comments/<uuid:uid>/remove/", d.comment_remove, name="comment_remove"),
    path("proposals/", d.proposal_list, name="proposal_list"),
    path("proposals/assist/", d.proposal_assist, name="proposal_assist"),
    path("proposals/<uuid:uid>/action/", d.proposal_action, name="proposal_action"),
    path("me/topics/", d.me_topics, name="me_topics"),
    path("me/topics/<int:pk>/", d.me_topic, name="me_topic"),
    path("me/topics/<int:pk>/comments/", d.me_comment, name="me_comment"),
    path("me/topics/<int:pk>/documents/<uuid:uid>/", d.me_document, name="me_document"),
    path("me/proposals/", d.me_proposals, name="me_proposals"),
    path("me/proposals/new/", d.me_propose, name="me_propose"),
    path("me/proposals/<uuid:uid>/cosign/", d.me_cosign, name="me_cosign"),
]
