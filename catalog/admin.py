from django import forms
from django.contrib import admin
from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from omnishop.admin import ReadOnlyAdmin, SharedChoicesInlineMixin
from omnishop.history import ADDITION, CHANGE, admin_history_record
from omnishop.money import money_display

from .forms import AttributesField
from .models import Brand, Category, Channel, ChannelListing, Price, PriceHistory, Product, Variant
from .services import (
    VariantSpec,
    channel_update,
    listing_publish,
    listing_unpublish,
    price_delete,
    price_set,
    product_create,
)


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "currency", "stock_buffer", "api_key_required", "is_active"]
    list_filter = ["kind", "currency", "is_active", "api_key_required"]
    search_fields = ["code", "name"]
    readonly_fields = ["created_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        # Through the service: a new stock buffer reaches the marketplace's stock figures.
        channel_update(
            channel=Channel.objects.get(pk=obj.pk),
            actor=request.user,
            **{name: form.cleaned_data[name] for name in form.changed_data},
        )


@admin.register(Category)
class CategoryAdmin(TreeAdmin):
    form = movenodeform_factory(Category)
    list_display = ["name", "slug", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "product_count"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_product_count=Count("products"))

    @admin.display(description=_("products"), ordering="_product_count")
    def product_count(self, obj) -> int:
        return obj._product_count


class AttributesRowsMixin:
    """Free attributes edited as name/value rows instead of a JSON box."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "attributes":
            return AttributesField(label=capfirst(db_field.verbose_name))
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class VariantInline(admin.TabularInline):
    """On a new product the variants are created by ``product_create`` (ProductAdmin.save_related)."""

    model = Variant
    fields = ["sku", "ean", "size", "colour", "position", "is_active"]
    extra = 0
    show_change_link = True

    def get_min_num(self, request, obj=None, **kwargs):
        return 1 if obj is None else 0  # product_create refuses a product without a variant


class ChannelListingInline(SharedChoicesInlineMixin, admin.TabularInline):
    # A select over the few channels, read once per page (an autocomplete widget looks up
    # each row's channel with its own query). Saved through listing_publish / listing_unpublish
    # (ProductAdmin.save_formset).
    model = ChannelListing
    fields = ["channel", "published_from", "published_until"]
    shared_choice_fields = ("channel",)
    extra = 0


@admin.register(Product)
class ProductAdmin(AttributesRowsMixin, admin.ModelAdmin):
    list_display = ["name", "brand", "category", "variant_count", "is_active", "created_at"]
    list_filter = ["is_active", "listings__channel", "brand", "category", "created_at"]
    list_select_related = ["brand", "category"]
    search_fields = ["name", "slug", "brand__name", "variants__sku", "variants__ean"]
    autocomplete_fields = ["brand", "category"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["created_at", "updated_at"]
    inlines = [VariantInline, ChannelListingInline]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_variant_count=Count("variants", distinct=True))

    @admin.display(description=_("variants"), ordering="_variant_count")
    def variant_count(self, obj) -> int:
        return obj._variant_count

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        # A new product is created with its variants by product_create, in save_related.

    def save_related(self, request, form, formsets, change):
        if not change:
            self._product_create(request, form, formsets)
        super().save_related(request, form, formsets, change)

    def _product_create(self, request, form, formsets) -> None:
        variants = next(formset for formset in formsets if formset.model is Variant)
        specs = [
            VariantSpec(
                sku=data["sku"],
                ean=data.get("ean") or None,
                size=data.get("size", ""),
                colour=data.get("colour", ""),
                position=data.get("position"),
                is_active=data.get("is_active", False),
            )
            for variant_form in variants.forms
            if (data := variant_form.cleaned_data) and variant_form not in variants.deleted_forms
        ]
        new = form.instance
        product = product_create(
            name=new.name,
            slug=new.slug,
            category=new.category,
            brand=new.brand,
            description=new.description,
            attributes=new.attributes,
            is_active=new.is_active,
            variants=specs,
            actor=request.user,
        )
        # The admin logs and redirects to the object it built: make it the created product.
        new.pk, new.created_at, new.updated_at = product.pk, product.created_at, product.updated_at
        new._state.adding, new._state.db = False, product._state.db
        variants.new_objects, variants.changed_objects, variants.deleted_objects = list(product.variants.all()), [], []

    def save_formset(self, request, form, formset, change):
        if formset.model is Variant and not change:
            return  # created by product_create
        if formset.model is not ChannelListing:
            return super().save_formset(request, form, formset, change)
        product = form.instance
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for listing_form in formset.forms:
            instance = listing_form.instance
            if listing_form in formset.deleted_forms:
                if instance.pk:
                    channel = Channel.objects.get(pk=listing_form.initial["channel"])
                    listing_unpublish(product=product, channel=channel, actor=request.user)
                    formset.deleted_objects.append(instance)
                continue
            if not listing_form.has_changed() or not listing_form.cleaned_data:
                continue
            data = listing_form.cleaned_data
            if instance.pk and "channel" in listing_form.changed_data:
                # Moved to another channel: no longer offered in the first one.
                previous = Channel.objects.get(pk=listing_form.initial["channel"])
                listing_unpublish(product=product, channel=previous, actor=request.user)
            listing = listing_publish(
                product=product,
                channel=data["channel"],
                published_from=data["published_from"],
                published_until=data.get("published_until"),
                actor=request.user,
            )
            admin_history_record(
                actor=request.user,
                obj=listing,
                message=_("Published on the product's page."),
                flag=CHANGE if instance.pk else ADDITION,
            )
            if instance.pk:
                formset.changed_objects.append((listing, listing_form.changed_data))
            else:
                formset.new_objects.append(listing)


class PriceAdminForm(forms.ModelForm):
    reason = forms.CharField(label=_("reason for the change"), max_length=200, required=False)

    class Meta:
        model = Price
        fields = ["variant", "currency", "amount"]


class PriceInline(admin.TabularInline):
    """Prices are saved through ``price_set`` (see VariantAdmin.save_formset) for the history."""

    model = Price
    fields = ["currency", "amount", "updated_at", "updated_by"]
    readonly_fields = ["updated_at", "updated_by"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("updated_by")


class PriceHistoryInline(admin.TabularInline):
    model = PriceHistory
    fields = ["changed_at", "currency", "old_amount", "new_amount", "changed_by", "reason"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ["-changed_at", "-id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("changed_by")


@admin.register(Variant)
class VariantAdmin(AttributesRowsMixin, admin.ModelAdmin):
    list_display = ["sku", "product", "ean", "size", "colour", "price_pln", "is_active"]
    list_filter = ["is_active", "product__brand", "product__category", "colour", "size"]
    list_select_related = ["product"]
    search_fields = ["sku", "ean", "product__name", "name"]
    autocomplete_fields = ["product"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [PriceInline, PriceHistoryInline]

    def get_queryset(self, request):
        pln = Price.objects.filter(variant=OuterRef("pk"), currency="PLN").values("amount")[:1]
        return super().get_queryset(request).annotate(_price_pln=Subquery(pln))

    @admin.display(description=_("price (PLN)"), ordering="_price_pln")
    def price_pln(self, obj):
        return obj._price_pln

    def save_formset(self, request, form, formset, change):
        if formset.model is not Price:
            return super().save_formset(request, form, formset, change)
        # Prices go through price_set (lock + history); the admin log still gets its lists.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for price_form in formset.forms:
            instance = price_form.instance
            if price_form in formset.deleted_forms:
                if instance.pk:
                    formset.deleted_objects.append(instance)
                    price_delete(
                        variant=form.instance,
                        currency=price_form.initial.get("currency", instance.currency),
                        actor=request.user,
                        reason=str(_("deleted in admin")),
                    )
                continue
            if not price_form.has_changed() or not price_form.cleaned_data:
                continue
            price = price_set(
                variant=form.instance,
                amount=price_form.cleaned_data["amount"],
                currency=price_form.cleaned_data["currency"],
                actor=request.user,
                reason=str(_("changed in admin")),
            )
            admin_history_record(
                actor=request.user,
                obj=price,
                message=_("Price set to %(price)s on the variant's page.")
                % {"price": money_display(price.amount, price.currency)},
                flag=CHANGE if instance.pk else ADDITION,
            )
            if instance.pk:
                formset.changed_objects.append((price, price_form.changed_data))
            else:
                formset.new_objects.append(price)


@admin.register(Price)
class PriceAdmin(admin.ModelAdmin):
    form = PriceAdminForm
    list_display = ["variant", "currency", "amount", "updated_at", "updated_by"]
    list_filter = ["currency", "updated_at"]
    list_select_related = ["variant", "updated_by"]
    search_fields = ["variant__sku", "variant__ean", "variant__product__name"]
    autocomplete_fields = ["variant"]

    def get_readonly_fields(self, request, obj=None):
        # Variant and currency identify the price; change the amount, not what it belongs to.
        return ["variant", "currency", "updated_at", "updated_by"] if obj else ["updated_at", "updated_by"]

    def save_model(self, request, obj, form, change):
        saved = price_set(
            variant=obj.variant,
            amount=obj.amount,
            currency=obj.currency,
            actor=request.user,
            reason=form.cleaned_data.get("reason") or str(_("changed in admin")),
        )
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        price_delete(variant=obj.variant, currency=obj.currency, actor=request.user, reason=str(_("deleted in admin")))

    def delete_queryset(self, request, queryset):
        # The "delete selected" action: one price_delete (history, outbox) per price.
        for price in queryset.select_related("variant").order_by("variant_id", "currency"):
            price_delete(
                variant=price.variant, currency=price.currency, actor=request.user, reason=str(_("deleted in admin"))
            )


@admin.register(PriceHistory)
class PriceHistoryAdmin(ReadOnlyAdmin):
    list_display = ["changed_at", "variant", "currency", "old_amount", "new_amount", "changed_by", "reason"]
    list_filter = ["currency", "changed_at"]
    list_select_related = ["variant", "changed_by"]
    search_fields = ["variant__sku", "reason", "changed_by__email"]
    date_hierarchy = "changed_at"


@admin.register(ChannelListing)
class ChannelListingAdmin(admin.ModelAdmin):
    list_display = ["product", "channel", "published_from", "published_until", "published_now"]
    list_filter = ["channel", "published_from"]
    list_select_related = ["product", "channel"]
    search_fields = ["product__name", "product__slug", "channel__code"]
    autocomplete_fields = ["product", "channel"]

    def save_model(self, request, obj, form, change):
        if change and {"product", "channel"} & set(form.changed_data):
            # Moved to another product or channel: no longer offered where it was.
            before = ChannelListing.objects.select_related("product", "channel").get(pk=obj.pk)
            listing_unpublish(product=before.product, channel=before.channel, actor=request.user)
        listing = listing_publish(
            product=obj.product,
            channel=obj.channel,
            published_from=obj.published_from,
            published_until=obj.published_until,
            actor=request.user,
        )
        obj.pk = listing.pk

    def delete_model(self, request, obj):
        listing_unpublish(product=obj.product, channel=obj.channel, actor=request.user)

    def delete_queryset(self, request, queryset):
        for listing in queryset.select_related("product", "channel"):
            listing_unpublish(product=listing.product, channel=listing.channel, actor=request.user)

    @admin.display(description=_("published now"), boolean=True)
    def published_now(self, obj) -> bool:
        return obj.is_published(timezone.now())
