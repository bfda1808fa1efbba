from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from omnishop.history import admin_history_record

from .models import ChannelAPIKey, Scope
from .services import apikey_create, apikey_revoke


class ChannelAPIKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("scopes"), choices=Scope.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ChannelAPIKey
        fields = ["name", "channel", "expiry_date", "scopes"]


# Only channel-bound keys are used; the package's unbound model stays out of admin.
admin.site.unregister(APIKey)


@admin.register(ChannelAPIKey)
class ChannelAPIKeyAdmin(APIKeyModelAdmin):
    form = ChannelAPIKeyForm
    list_display = [
        "name",
        "prefix",
        "channel",
        "created",
        "last_used_at",
        "expiry_date",
        "_has_expired",
        "revoked",
    ]
    list_filter = ["channel", "revoked", "created"]
    list_select_related = ["channel"]
    search_fields = ["name", "prefix", "channel__code", "channel__name"]
    autocomplete_fields = ["channel"]
    actions = ["revoke_keys"]

    def get_readonly_fields(self, request, obj=None):
        fields = [*super().get_readonly_fields(request, obj), "last_used_at", "revoked_at"]
        if obj is not None:
            # A key is bound to its channel for life; revoking is one-way.
            fields += ["channel", "revoked"]
        return fields

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        key_row, plain = apikey_create(
            channel=obj.channel,
            name=obj.name,
            actor=request.user,
            expires_at=obj.expiry_date,
            scopes=form.cleaned_data.get("scopes") or [],
        )
        obj.pk = key_row.pk
        obj.prefix = key_row.prefix
        messages.add_message(
            request,
            messages.WARNING,
            _("The API key for %(name)s is: %(key)s. Store it now: it will not be shown again.")
            % {"name": obj.name, "key": plain},
        )

    @admin.action(description=_("Revoke selected API keys"))
    def revoke_keys(self, request, queryset):
        keys = list(queryset.filter(revoked=False))
        for key in keys:
            apikey_revoke(key=key, actor=request.user)
            admin_history_record(actor=request.user, obj=key, message=_("Revoked."))
        self.message_user(
            request,
            ngettext("%(n)d key revoked.", "%(n)d keys revoked.", len(keys)) % {"n": len(keys)},
        )
