"""The order list's CSV export (admin): what the changelist shows, for spreadsheets."""

from django.utils.translation import gettext_lazy as _
from import_export import resources

from omnishop.exports import choice_column, money_column, text_column, time_column


class OrderExportResource(resources.Resource):
    number = text_column("number", _("number"))
    created_at = time_column("created_at", _("created"))
    channel = text_column("channel__code", _("channel"))
    customer = text_column("customer", _("customer"))
    company = text_column("company__name", _("company"))
    fulfilment_type = choice_column("fulfilment_type", _("fulfilment"))
    status = choice_column("status", _("status"))
    pickup_location = text_column("pickup_location__code", _("pickup location"))
    pickup_expires_at = time_column("pickup_expires_at", _("collect by"))
    payment_status = choice_column("payment_status", _("payment"))
    subtotal = money_column("subtotal", _("subtotal"))
    discount_total = money_column("discount_total", _("discounts"))
    shipping_total = money_column("shipping_total", _("shipping"))
    total = money_column("total", _("total"))
    currency = text_column("currency", _("currency"))

    # The columns' relations, joined in the export's one query.
    select_related = ("channel", "customer", "company", "pickup_location")
