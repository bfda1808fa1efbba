from django.urls import path

from .views import MyConsentsApi, MyDataExportApi

urlpatterns = [
    path("me/consents/", MyConsentsApi.as_view(), name="my-consents"),
    path("me/export/", MyDataExportApi.as_view(), name="my-data-export"),
]
