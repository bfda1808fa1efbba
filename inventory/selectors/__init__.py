"""Inventory reads, by concern: availability, locations, locations that can serve a basket
(nearest, pickup options), and consistency. Every public name is importable from here."""

from .availability import (
    ROUTING_LOCATION_FIELDS,
    Availability,
    LocationStock,
    stock_availability_by_location,
    stock_available_list,
    stock_available_to_ship,
    stock_available_to_ship_sql,
    stock_available_with_locations,
    stock_levels_with_availability,
    units_available,
)
from .channel_stock import channel_available, channel_available_sql, channel_stock_feed, channel_stock_figures
from .consistency import StockDrift, stock_drift_list
from .locations import (
    EARTH_RADIUS_KM,
    distance_km_expression,
    location_codes,
    location_ids_by_code,
    location_ids_of_staff,
    location_point_in_city,
    locations_by_id,
    locations_nearest,
    pickup_location_get,
    store_get,
)
from .nearest import (
    PickupOption,
    locations_nearest_that_can_serve,
    locations_that_can_serve,
    pickup_options_list,
)
from .scoping import scoped_to_own_stores, staff_sees_only_own_stores

__all__ = [
    "EARTH_RADIUS_KM",
    "ROUTING_LOCATION_FIELDS",
    "Availability",
    "LocationStock",
    "PickupOption",
    "StockDrift",
    "channel_available",
    "channel_available_sql",
    "channel_stock_feed",
    "channel_stock_figures",
    "distance_km_expression",
    "location_codes",
    "location_ids_by_code",
    "location_ids_of_staff",
    "location_point_in_city",
    "locations_by_id",
    "locations_nearest",
    "locations_nearest_that_can_serve",
    "locations_that_can_serve",
    "pickup_location_get",
    "pickup_options_list",
    "scoped_to_own_stores",
    "staff_sees_only_own_stores",
    "stock_availability_by_location",
    "stock_available_list",
    "stock_available_to_ship",
    "stock_available_to_ship_sql",
    "stock_available_with_locations",
    "stock_drift_list",
    "stock_levels_with_availability",
    "store_get",
    "units_available",
]
