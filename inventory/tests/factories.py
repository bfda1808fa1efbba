from decimal import Decimal

import factory

from inventory.models import Location


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"loc-{n:03d}")
    name = factory.LazyAttribute(lambda o: f"Location {o.code}")
    kind = Location.Kind.STORE
    city = "Warszawa"
    latitude = Decimal("52.229676")
    longitude = Decimal("21.012229")
    click_and_collect = factory.LazyAttribute(lambda o: o.kind == Location.Kind.STORE)
    ships_online = factory.LazyAttribute(lambda o: o.kind == Location.Kind.WAREHOUSE)


class WarehouseFactory(LocationFactory):
    kind = Location.Kind.WAREHOUSE
    city = "Stryków"
    latitude = Decimal("51.900000")
    longitude = Decimal("19.600000")
