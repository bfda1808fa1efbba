from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from ..models import Category, Product
from ..selectors import category_list, product_list_for_channel, product_page_for_channel
from .channels import CHANNEL_PARAMETERS, ChannelMixin
from .filters import ProductFilter
from .serializers import CategorySerializer, ChannelSerializer, ProductSerializer


@extend_schema(tags=["catalog"], parameters=CHANNEL_PARAMETERS)
class ProductListApi(ChannelMixin, generics.ListAPIView):
    """Products offered in the requesting channel, with variants and the channel's prices."""

    permission_classes = [permissions.AllowAny]
    serializer_class = ProductSerializer
    filterset_class = ProductFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Product.objects.none()
        return product_list_for_channel(channel=self.request.channel)

    def list(self, request, *args, **kwargs):
        # Page over a narrow query of ids, then load only that page's rows: deep pages and
        # large catalogs stay cheap, and the query count does not depend on the page size.
        queryset = self.filter_queryset(self.get_queryset())
        ids = self.paginate_queryset(queryset.values_list("pk", flat=True))
        products = product_page_for_channel(channel=request.channel, ids=list(ids))
        return self.get_paginated_response(self.get_serializer(products, many=True).data)


@extend_schema(tags=["catalog"], parameters=CHANNEL_PARAMETERS)
class ProductDetailApi(ChannelMixin, generics.RetrieveAPIView):
    """One product as the requesting channel offers it (404 when not listed there)."""

    permission_classes = [permissions.AllowAny]
    serializer_class = ProductSerializer

    def get_object(self):
        value = self.kwargs["id_or_slug"]
        qs = product_list_for_channel(channel=self.request.channel)
        # ASCII digits only (str.isdigit() also takes "²", which int() refuses), and no more than an id has.
        is_id = value.isascii() and value.isdigit() and len(value) <= 18
        lookup = {"pk": int(value)} if is_id else {"slug": value}
        ids = list(qs.filter(**lookup).values_list("pk", flat=True)[:1])
        if not ids:
            raise Http404
        return product_page_for_channel(channel=self.request.channel, ids=ids)[0]


@extend_schema(tags=["catalog"])
class CategoryListApi(generics.GenericAPIView):
    """The active category tree, in tree order (depth-first), each with its parent's slug."""

    permission_classes = [permissions.AllowAny]
    serializer_class = CategorySerializer
    pagination_class = None
    queryset = Category.objects.none()

    @extend_schema(responses=CategorySerializer(many=True))
    def get(self, request):
        categories = list(category_list())
        by_path = {c.path: c.slug for c in categories}
        data = CategorySerializer(categories, many=True, context={"parents": by_path}).data
        return Response(data)


@extend_schema(tags=["catalog"], parameters=CHANNEL_PARAMETERS)
class ChannelCurrentApi(ChannelMixin, APIView):
    """The channel this request acts as (lets an integration check its key)."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(responses=ChannelSerializer)
    def get(self, request):
        return Response(ChannelSerializer(request.channel).data)
