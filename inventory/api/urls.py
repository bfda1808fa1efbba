from django.urls import path

from . import marketplace, views

app_name = "inventory"

urlpatterns = [
    path("availability/", views.StockAvailabilityApi.as_view(), name="availability"),
    path("locations/nearest/", views.LocationNearestApi.as_view(), name="location-nearest"),
    path("locations/pickup-options/", views.LocationPickupOptionsApi.as_view(), name="location-pickup-options"),
    path("stock/sync/", views.StockSyncApi.as_view(), name="stock-sync"),
    path("marketplace/stock/", marketplace.MarketplaceStockFeedApi.as_view(), name="marketplace-stock"),
]
