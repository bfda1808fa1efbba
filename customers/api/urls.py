from django.urls import path

from .views import MyConsentsApi

urlpatterns = [
    path("me/consents/", MyConsentsApi.as_view(), name="my-consents"),
]
