from django.urls import path

from surveys import views

app_name = "surveys"

urlpatterns = [
    path("u/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
