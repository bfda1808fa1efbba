"""The customer list's CSV export (admin): who they are and how to reach them, nothing more
(no login, notes, identities or consents: those stay on the card)."""

from django.utils.translation import gettext_lazy as _
from import_export import resources

from omnishop.exports import choice_column, text_column, time_column

from .models import CustomerDataAccess
from .services import customers_data_viewed


class CustomerExportResource(resources.Resource):
    id = text_column("pk", _("customer ID"))
    first_name = text_column("first_name", _("first name"))
    last_name = text_column("last_name", _("last name"))
    email = text_column("email", _("e-mail"))
    phone = text_column("phone", _("phone"))
    city = text_column("city", _("city"))
    language = choice_column("language", _("language"))
    notification_channel = choice_column("notification_channel", _("notification channel"))
    created_at = time_column("created_at", _("created"))

    select_related = ()

    def __init__(self, request=None, **kwargs):
        super().__init__(**kwargs)
        self.request = request

    def after_export(self, queryset, dataset, **kwargs):
        """Whose personal data left in the file is recorded for the data-protection officer."""
        if self.request is not None:
            customers_data_viewed(
                customer_ids=list(queryset.values_list("pk", flat=True)),
                user=self.request.user,
                kind=CustomerDataAccess.Kind.LISTED,
            )
