from django.urls import path

from feedback import digest_views, staff_views, views
from surveys.links import PREFIX

app_name = "feedback"

urlpatterns = [
    # Token URLs from emails and shared links: each exchanges its token for the link cookie.
    path("s/<str:token>/", views.answer, name="answer"),
    path("s/<str:token>/thanks/", views.thanks, name="thanks"),
    path("s/<str:token>/status/", views.status, name="status"),
    path("a/<str:survey_token>/", views.anonymous, name="anonymous"),
    # The pages of a link, reached with its cookie (surveys.links).
    path(f"{PREFIX}/<str:key>/", views.link_page, name="link_page"),
    path(f"{PREFIX}/<str:key>/thanks/", views.link_thanks, name="link_thanks"),
    path(f"{PREFIX}/<str:key>/status/", views.link_status, name="link_status"),
    path("staff/surveys/<int:survey_id>/preview/", views.preview, name="preview"),
    path("staff/dashboard/", staff_views.dashboard_page, name="dashboard"),
    path("staff/accounts/at-risk/", staff_views.accounts_at_risk_page, name="accounts_at_risk"),
    path("digests/<str:signed>/", digest_views.digest_archive, name="digest_archive"),
    path("digests/unsubscribe/<str:token>/", digest_views.digest_unsubscribe, name="digest_unsubscribe"),
]
