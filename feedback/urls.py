from django.urls import path

from feedback import digest_views, staff_views, views

app_name = "feedback"

urlpatterns = [
    path("s/<str:token>/", views.answer, name="answer"),
    path("s/<str:token>/thanks/", views.thanks, name="thanks"),
    path("s/<str:token>/status/", views.status, name="status"),
    path("a/<str:survey_token>/", views.anonymous, name="anonymous"),
    path("staff/surveys/<int:survey_id>/preview/", views.preview, name="preview"),
    path("staff/dashboard/", staff_views.dashboard_page, name="dashboard"),
    path("digests/<str:signed>/", digest_views.digest_archive, name="digest_archive"),
    path("digests/unsubscribe/<str:token>/", digest_views.digest_unsubscribe, name="digest_unsubscribe"),
]
