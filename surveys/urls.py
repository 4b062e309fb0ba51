from django.urls import path

from surveys import views
from surveys.links import PREFIX

app_name = "surveys"

urlpatterns = [
    path("u/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path(f"{PREFIX}/<str:key>/unsubscribe/", views.link_unsubscribe, name="link_unsubscribe"),
]
