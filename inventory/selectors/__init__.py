"""Inventory reads, by concern: availability, locations, locations that can serve a basket
(nearest, pickup options), and consistency. Every public name is importable from here."""

from .availability import (
    ROUTING_LOCATION_FIELDS,
    Availability,
    LocationStock,
    stock_availability_by_location,
    stock_available_list,
    stock_available_with_locations,
    stock_levels_with_availability,
    units_available,
)
from .consistency import StockDrift, stock_drift_list
from .locations import (
    EARTH_RADIUS_KM,
    distance_km_expression,
    location_ids_by_code,
    location_ids_of_staff,
    locations_nearest,
)
from .nearest import (
    PickupOption,
    locations_nearest_that_can_serve,
    locations_that_can_serve,
    pickup_options_list,
)

__all__ = [
    "EARTH_RADIUS_KM",
    "ROUTING_LOCATION_FIELDS",
    "Availability",
    "LocationStock",
    "PickupOption",
    "StockDrift",
    "distance_km_expression",
    "location_ids_by_code",
    "location_ids_of_staff",
    "locations_nearest",
    "locations_nearest_that_can_serve",
    "locations_that_can_serve",
    "pickup_options_list",
    "stock_availability_by_location",
    "stock_available_list",
    "stock_available_with_locations",
    "stock_drift_list",
    "stock_levels_with_availability",
    "units_available",
]
