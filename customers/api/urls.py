from django.urls import path

from .account import MyAddressApi, MyAddressesApi, MyIdentitiesApi, MyProfileApi
from .store import StoreCustomerLookupApi
from .views import MyConsentsApi, MyDataExportApi

urlpatterns = [
    path("me/profile/", MyProfileApi.as_view(), name="my-profile"),
    path("me/identities/", MyIdentitiesApi.as_view(), name="my-identities"),
    path("me/addresses/", MyAddressesApi.as_view(), name="my-addresses"),
    path("me/addresses/<int:id>/", MyAddressApi.as_view(), name="my-address"),
    path("me/consents/", MyConsentsApi.as_view(), name="my-consents"),
    path("me/export/", MyDataExportApi.as_view(), name="my-data-export"),
    path("store/customers/", StoreCustomerLookupApi.as_view(), name="store-customer-lookup"),
]
