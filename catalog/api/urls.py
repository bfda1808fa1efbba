from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("products/", views.ProductListApi.as_view(), name="product-list"),
    path("products/<str:id_or_slug>/", views.ProductDetailApi.as_view(), name="product-detail"),
    path("categories/", views.CategoryListApi.as_view(), name="category-list"),
    path("channel/", views.ChannelCurrentApi.as_view(), name="channel-current"),
]
