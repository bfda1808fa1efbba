"""Forms of the store console."""

from django import forms
from django.utils.translation import gettext_lazy as _

from omnishop.accounts.forms import AdminLoginForm


class StoreLoginForm(AdminLoginForm):
    """The staff login (e-mail and password) under the same lockouts as the admin, web and app logins."""

    error_messages = {
        **AdminLoginForm.error_messages,
        "invalid_login": _("Enter the e-mail and password of your staff account."),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("E-mail")
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "inputmode": "email"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


class StoreChooseForm(forms.Form):
    store = forms.IntegerField()


class QueueSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)


class ShipForm(forms.Form):
    carrier = forms.CharField(label=_("Carrier"), max_length=50)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=100)
