"""The stock list's CSV export (admin): the same rows and figures as the changelist."""

from django.utils.translation import gettext_lazy as _
from import_export import resources

from omnishop.exports import text_column, time_column


class StockLevelExportResource(resources.Resource):
    product = text_column("variant__product__name", _("product"))
    sku = text_column("variant__sku", _("SKU"))
    ean = text_column("variant__ean", _("EAN"))
    location = text_column("location__code", _("location"))
    location_name = text_column("location__name", _("location name"))
    on_hand = text_column("on_hand", _("on hand"))
    allocated = text_column("allocated", _("allocated"))
    held = text_column("held", _("held"))
    available = text_column("available", _("available"))
    safety_stock = text_column("safety_stock", _("safety stock"))
    updated_at = time_column("updated_at", _("updated"))

    select_related = ("variant__product", "location")
