from django.urls import path

from . import views

app_name = "webhooks"

urlpatterns = [
    path("webhooks/subscriptions/", views.SubscriptionListCreateApi.as_view(), name="subscription-list"),
    path("webhooks/subscriptions/<int:pk>/", views.SubscriptionDetailApi.as_view(), name="subscription-detail"),
    path("webhooks/deliveries/", views.DeliveryListApi.as_view(), name="delivery-list"),
    path("webhooks/deliveries/<int:pk>/", views.DeliveryDetailApi.as_view(), name="delivery-detail"),
    path("webhooks/deliveries/<int:pk>/redeliver/", views.DeliveryRedeliverApi.as_view(), name="delivery-redeliver"),
]
