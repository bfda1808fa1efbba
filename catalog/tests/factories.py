from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from catalog.models import Brand, Category, Channel, ChannelListing, Price, Product, Variant
from catalog.validators import gtin_check_digit


def ean13(n: int) -> str:
    body = f"590{n:09d}"  # 590: GS1 Poland
    return body + str(gtin_check_digit(body))


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"channel-{n}")
    name = factory.LazyAttribute(lambda o: o.code.title())
    kind = Channel.Kind.WEB
    currency = "PLN"


class CategoryFactory(factory.django.DjangoModelFactory):
    """Creates root categories (treebeard needs add_root/add_child, not save())."""

    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")

    @classmethod
    def _create(cls, model_class, *args, parent=None, **kwargs):
        if parent is not None:
            return model_class.objects.add_child(parent, create_kwargs=kwargs)
        return model_class.objects.add_root(create_kwargs=kwargs)


class BrandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Brand

    name = factory.Sequence(lambda n: f"Brand {n}")
    slug = factory.Sequence(lambda n: f"brand-{n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    description = "A test product."
    brand = factory.SubFactory(BrandFactory)
    category = factory.SubFactory(CategoryFactory)


class VariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Variant

    product = factory.SubFactory(ProductFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n:06d}")
    ean = factory.Sequence(ean13)
    size = "M"
    colour = "black"


class PriceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Price

    variant = factory.SubFactory(VariantFactory)
    currency = "PLN"
    amount = Decimal("99.99")


class ChannelListingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChannelListing

    product = factory.SubFactory(ProductFactory)
    channel = factory.SubFactory(ChannelFactory)
    published_from = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
