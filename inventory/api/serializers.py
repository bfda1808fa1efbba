"""Availability and stock sync: query/input serializers validate, output serializers render."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.selectors import variant_ids_by_sku
from omnishop.api.serializers import DecimalStringField

from ..importers import stock_row_screened
from ..models import Location
from ..services import SYNC_ID_MAX_LENGTH, SYNC_ID_PATTERN, StockSyncRow, SyncErrorPolicy, SyncMode

MAX_SKUS = 100
MAX_LINES = 100
MAX_LINE_QUANTITY = 9_999
MAX_SYNC_ROWS = 10_000


def _unknown_skus_error(unknown: list[str]) -> list[str]:
    return [ngettext("Unknown SKU: %(skus)s.", "Unknown SKUs: %(skus)s.", len(unknown)) % {"skus": ", ".join(unknown)}]


# --- query parameters ---------------------------------------------------------------------------


class AvailabilityQuerySerializer(serializers.Serializer):
    sku = serializers.ListField(
        child=serializers.CharField(max_length=64),
        allow_empty=False,
        max_length=MAX_SKUS,
        help_text=_("SKU to report; repeat the parameter for more (?sku=A&sku=B), at most 100."),
    )

    def validate_sku(self, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))  # repeated SKUs are reported once, in first-seen order

    def validate(self, attrs):
        found = variant_ids_by_sku(skus=attrs["sku"])
        unknown = [sku for sku in attrs["sku"] if sku not in found]
        if unknown:
            raise serializers.ValidationError({"sku": _unknown_skus_error(unknown)})
        attrs["variants"] = [(sku, found[sku]) for sku in attrs["sku"]]
        return attrs


class CartLineField(serializers.CharField):
    """``SKU`` (one unit) or ``SKU:QUANTITY``; a SKU that itself contains ":" needs the quantity."""

    default_error_messages = {
        "quantity": _("Write a line as SKU or SKU:QUANTITY, with a quantity from 1 to %(max)d."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 80)
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> tuple[str, int]:
        text = super().to_internal_value(data)
        sku, separator, quantity = text.rpartition(":")
        if not separator:
            return text, 1
        # ASCII digits only: str.isdigit() also takes "²", which int() refuses.
        if not sku or not (quantity.isascii() and quantity.isdigit()) or not 1 <= int(quantity) <= MAX_LINE_QUANTITY:
            self.fail("quantity", max=MAX_LINE_QUANTITY)
        return sku, int(quantity)


class NearestQuerySerializer(serializers.Serializer):
    lat = DecimalStringField(
        max_digits=None, decimal_places=None, min_value=Decimal(-90), max_value=Decimal(90), help_text=_("Latitude.")
    )
    lng = DecimalStringField(
        max_digits=None,
        decimal_places=None,
        min_value=Decimal(-180),
        max_value=Decimal(180),
        help_text=_("Longitude."),
    )
    limit = serializers.IntegerField(
        min_value=1, max_value=50, default=5, help_text=_("How many stores, nearest first (1-50).")
    )
    line = serializers.ListField(
        child=CartLineField(),
        required=False,
        max_length=MAX_LINES,
        help_text=_(
            "A cart line as SKU or SKU:QUANTITY; repeat the parameter for more (?line=A:2&line=B), at most 100. "
            "Repeated SKUs add up."
        ),
    )

    def validate(self, attrs):
        lines: dict[str, int] = {}
        for sku, quantity in attrs.get("line") or []:
            lines[sku] = lines.get(sku, 0) + quantity
        found = variant_ids_by_sku(skus=lines) if lines else {}
        unknown = [sku for sku in lines if sku not in found]
        if unknown:
            raise serializers.ValidationError({"line": _unknown_skus_error(unknown)})
        attrs["lines"] = {found[sku]: quantity for sku, quantity in lines.items()}
        attrs["skus"] = {found[sku]: sku for sku in lines}
        return attrs


class PickupOptionsQuerySerializer(NearestQuerySerializer):
    line = serializers.ListField(
        child=CartLineField(),
        allow_empty=False,
        max_length=MAX_LINES,
        help_text=_(
            "A cart line as SKU or SKU:QUANTITY; repeat the parameter for more (?line=A:2&line=B), at most 100. "
            "Repeated SKUs add up."
        ),
    )


# --- output -------------------------------------------------------------------------------------


class AvailabilityAtLocationSerializer(serializers.Serializer):
    location = serializers.CharField(help_text=_("Location code."))
    name = serializers.CharField()
    kind = serializers.CharField(help_text=_("warehouse or store"))
    available = serializers.IntegerField(help_text=_("Units this channel can promise there now."))


class SkuAvailabilitySerializer(serializers.Serializer):
    sku = serializers.CharField()
    total = serializers.IntegerField(help_text=_("Units available at all active locations together."))
    locations = AvailabilityAtLocationSerializer(many=True, help_text=_("Every active location, by code."))

    def to_representation(self, instance) -> dict:
        # Plain dicts: 100 SKUs x every location is thousands of rows, too many for a serializer each.
        return {
            "sku": instance["sku"],
            "total": instance["total"],
            "locations": [dict(row) for row in instance["locations"]],
        }


class AvailabilitySerializer(serializers.Serializer):
    channel = serializers.CharField(help_text=_("The channel the figures are for."))
    online = serializers.BooleanField(
        help_text=_("Online channels cannot take the units stores ring-fence for walk-in customers.")
    )
    results = SkuAvailabilitySerializer(many=True)


class LocationAddressSerializer(serializers.ModelSerializer):
    class Meta:
        model = Location
        fields = ["street", "postal_code", "city", "country"]


class LocationSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(help_text=_("warehouse or store"))
    address = LocationAddressSerializer(source="*")
    opening_hours = serializers.DictField(
        child=serializers.CharField(allow_null=True),
        help_text=_('Per weekday, e.g. {"mon": "10:00-21:00", "sun": null}.'),
    )
    distance_km = serializers.SerializerMethodField()

    class Meta:
        model = Location
        fields = ["code", "name", "kind", "address", "latitude", "longitude", "phone", "opening_hours", "distance_km"]

    @extend_schema_field(serializers.FloatField(help_text=_("Great-circle distance from the given point, in km.")))
    def get_distance_km(self, location: Location) -> float:
        return round(location.distance_km, 2)


class LocationListSerializer(serializers.Serializer):
    results = LocationSerializer(many=True)


PICKUP_READY_IN_CHOICES = [
    ("now", _("In the store now")),
    ("transfer", _("After a transfer from another location")),
    ("unavailable", _("Not available for pickup here")),
]


class PickupOptionSerializer(serializers.Serializer):
    location = LocationSerializer()
    can_serve_now = serializers.BooleanField(help_text=_("The store has every line in full now."))
    ready_in = serializers.ChoiceField(
        choices=PICKUP_READY_IN_CHOICES,
        help_text=_("now: collect today; transfer: stock must first move to the store; unavailable: neither."),
    )
    missing = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_missing(self, option) -> list[str]:
        """SKUs the store does not have in full now."""
        skus = self.context["skus"]
        return [skus[variant_id] for variant_id in option.missing]


class PickupOptionListSerializer(serializers.Serializer):
    results = PickupOptionSerializer(many=True)


# --- stock sync ---------------------------------------------------------------------------------


STOCK_SYNC_MODE_CHOICES = [
    (SyncMode.ABSOLUTE, _("Counts: on hand becomes the quantity")),
    (SyncMode.DELTA, _("Deltas: the quantity is added to on hand")),
]
STOCK_SYNC_ERROR_POLICY_CHOICES = [
    (SyncErrorPolicy.REJECT_ALL, _("Any failed row: nothing is written")),
    (SyncErrorPolicy.REJECT_FAILED, _("Valid rows are written, failed rows reported")),
]


class StockSyncRowSerializer(serializers.Serializer):
    """One row (documentation: rows are checked in bulk by the service, errors per row)."""

    location = serializers.CharField(max_length=40, help_text=_("Location code."))
    sku = serializers.CharField(max_length=64)
    quantity = serializers.IntegerField(
        help_text=_("absolute: the counted units (not negative); delta: units to add (negative to remove).")
    )


class StockSyncRowsField(serializers.ListField):
    """The rows, checked only for shape here: their values are checked by ``stock_sync_apply``
    in one pass with bulk lookups (a serializer per row would cost more than the sync), and a
    bad value fails its row, not the request."""

    def __init__(self, **kwargs):
        super().__init__(child=StockSyncRowSerializer(), min_length=1, max_length=MAX_SYNC_ROWS, **kwargs)

    def to_internal_value(self, data) -> list[StockSyncRow]:
        if not isinstance(data, list):
            self.fail("not_a_list", input_type=type(data).__name__)
        if not data:
            self.fail("empty")
        if len(data) > MAX_SYNC_ROWS:
            raise serializers.ValidationError(
                _("At most %(max)d rows per request (got %(n)d): send the sync in several requests.")
                % {"max": MAX_SYNC_ROWS, "n": len(data)}
            )
        return [
            stock_row_screened(row.get("location"), row.get("sku"), row.get("quantity"))
            if isinstance(row, dict)
            else StockSyncRow(None, None, None)
            for row in data
        ]


class StockSyncInputSerializer(serializers.Serializer):
    sync_id = serializers.RegexField(
        SYNC_ID_PATTERN,
        max_length=SYNC_ID_MAX_LENGTH,
        help_text=_(
            "Identifies this sync (letters, digits, . _ : @ / -). Sending the same request again writes nothing and "
            "returns the first summary: retry freely. Use a new sync_id for other rows."
        ),
    )
    mode = serializers.ChoiceField(choices=STOCK_SYNC_MODE_CHOICES)
    error_policy = serializers.ChoiceField(choices=STOCK_SYNC_ERROR_POLICY_CHOICES, default=SyncErrorPolicy.REJECT_ALL)
    rows = StockSyncRowsField(help_text=_("1 to 10,000 rows."))


class StockSyncResultSerializer(serializers.Serializer):
    sync_id = serializers.CharField()
    mode = serializers.CharField()
    error_policy = serializers.CharField()
    received = serializers.IntegerField(help_text=_("Rows in the request."))
    applied = serializers.IntegerField(
        help_text=_("Rows whose change is in the stock ledger, written now or by an earlier call with this sync_id.")
    )
    unchanged = serializers.IntegerField(help_text=_("Rows that needed no change (count equal to on hand, delta 0)."))
    replayed = serializers.IntegerField(
        help_text=_(
            "Of the applied rows, those an earlier call with this sync_id had already written (all of them on a retry)."
        )
    )
    failed = serializers.IntegerField(help_text=_("Rows refused (reject_failed only; reject_all answers 400/409)."))
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text=_('Errors of the failed rows, keyed "rows.<index>.<field>" as in the error body.'),
    )
