from django.urls import path

from . import views

app_name = "events"

urlpatterns = [
    path("events/", views.EventTypeListApi.as_view(), name="event-type-list"),
    path("events/<str:type>/", views.EventTypeDetailApi.as_view(), name="event-type-detail"),
]
