"""/api/v1/: every app's API under one version prefix."""

from django.urls import include, path

from .views import ApiRootView

urlpatterns = [
    path("", ApiRootView.as_view(), name="api-root"),
    path("", include("catalog.api.urls")),
]
