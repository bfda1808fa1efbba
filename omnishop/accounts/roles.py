"""Staff roles: Django groups created by a data migration, their permissions kept in sync here.

Permissions are named as "app_label.codename" strings so this module imports no domain app.
A codename that does not exist yet (its app arrives in a later release) is skipped.
"""

from django.utils.translation import gettext_lazy as _

CUSTOMER_SERVICE_AGENT = "Customer service agent"
STORE_STAFF = "Store staff"
WAREHOUSE_STAFF = "Warehouse staff"
MERCHANDISER = "Merchandiser"
INVENTORY_MANAGER = "Inventory manager"
INTEGRATION_ADMIN = "Integration admin"
DATA_PROTECTION_OFFICER = "Data protection officer"

ROLE_NAMES = [
    CUSTOMER_SERVICE_AGENT,
    STORE_STAFF,
    WAREHOUSE_STAFF,
    MERCHANDISER,
    INVENTORY_MANAGER,
    INTEGRATION_ADMIN,
    DATA_PROTECTION_OFFICER,
]

# Shown in admin and docs; the group name itself stays stable English.
ROLE_LABELS = {
    CUSTOMER_SERVICE_AGENT: _("Customer service agent"),
    STORE_STAFF: _("Store staff"),
    WAREHOUSE_STAFF: _("Warehouse staff"),
    MERCHANDISER: _("Merchandiser"),
    INVENTORY_MANAGER: _("Inventory manager"),
    INTEGRATION_ADMIN: _("Integration admin"),
    DATA_PROTECTION_OFFICER: _("Data protection officer"),
}


def _crud(app_label: str, *models: str, actions=("view", "add", "change", "delete")) -> set[str]:
    return {f"{app_label}.{action}_{model}" for model in models for action in actions}


def _view(app_label: str, *models: str) -> set[str]:
    return _crud(app_label, *models, actions=("view",))


CATALOG_MODELS = (
    "channel",
    "category",
    "brand",
    "product",
    "variant",
    "price",
    "pricehistory",
    "channellisting",
)

STOCK_MODELS = ("stocklevel", "stockmovement", "stocksync", "stockhold", "allocation", "transfer")
ORDER_MODELS = ("order", "cart", "fulfilment")

ROLE_PERMISSIONS: dict[str, set[str]] = {
    CUSTOMER_SERVICE_AGENT: (
        _view("catalog", *CATALOG_MODELS)
        | _view("inventory", "location", *STOCK_MODELS)
        | _crud("customers", "customer", "company", actions=("view", "add", "change"))
        # Notes on the card, consents as the customer gives them on the phone, and merging duplicates.
        | _crud("customers", "customernote", "consent", actions=("view", "add", "change"))
        | _view("customers", "customeridentity", "consentevent", "customermerge")
        | {"customers.merge_customer", "customers.export_customer"}
        | _crud("orders", "order", actions=("view", "add", "change"))
        | _view("orders", "cart", "fulfilment")
        # What the customer was told, and sending a failed notice again.
        | _view("notifications", "notification")
        | {"notifications.resend_notification"}
        # Loyalty points: the accounts and their ledger, and goodwill points (with a reason).
        | _view("loyalty", "loyaltyaccount", "pointsentry", "earningrule", "tier")
        | {"loyalty.grant_points"}
        # Coupons: the customer's codes and uses, and a personal coupon as goodwill (with a reason).
        | _view("loyalty", "promotion", "coupon", "couponredemption")
        | {"loyalty.give_coupon"}
        # Gift cards and store credit: balances and ledgers. Issuing a card or granting credit is
        # money: given to chosen agents (loyalty.issue_gift_card, loyalty.grant_store_credit).
        | _view("loyalty", "giftcard", "giftcardentry", "storecreditaccount", "storecreditentry")
    ),
    STORE_STAFF: (
        _view("catalog", "product", "variant", "price")
        | _view("inventory", "location", "stocklevel", "transfer")
        | _view("orders", "order", "fulfilment", "tillsale")
        # Picks, readies and hands over the pickup orders of the stores they work at (Location.staff),
        # and sees only those orders.
        | {"orders.handle_pickup"}
    ),
    WAREHOUSE_STAFF: (
        _view("catalog", "product", "variant")
        | _view("inventory", "location", "stocklevel", "allocation", "transfer")
        | _view("orders", "order", "fulfilment")
        # Picks, packs and ships: moves confirmed orders to processing and then to shipped.
        | {"orders.ship_order"}
    ),
    MERCHANDISER: (
        _crud("catalog", "category", "brand", "product", "variant", "channellisting")
        | _crud("catalog", "price", actions=("view", "add", "change"))
        | _view("catalog", "channel", "pricehistory")
        | _view("inventory", "stocklevel")
        # Promotions, coupons (generated in bulk) and the earning rules and tiers of the loyalty scheme.
        | _crud("loyalty", "promotion", "coupon", "earningrule", "tier")
        | _view("loyalty", "couponredemption")
    ),
    INVENTORY_MANAGER: (
        _view("catalog", "product", "variant", "channel")
        | _crud("inventory", "location", actions=("view", "add", "change"))
        | _view("inventory", *STOCK_MODELS)
        # Goods in, counts, adjustments and CSV imports (ledger entries); safety stock; transfers.
        | {"inventory.add_stockmovement", "inventory.change_stocklevel"}
        | _crud("inventory", "transfer", actions=("add", "change"))
        | _view("orders", "order", "fulfilment")
    ),
    INTEGRATION_ADMIN: (
        _crud("catalog", "channel", actions=("view", "add", "change"))
        | _crud("apikeys", "channelapikey")
        | _view("outbox", "outboxevent")
        # Webhook subscribers: their subscriptions, deliveries (payloads included) and re-delivery.
        | _crud("webhooks", "webhooksubscription")
        | _crud("webhooks", "webhookdelivery", actions=("view", "change"))
        | {"webhooks.view_payload"}
        # The periodic jobs' schedule (django-celery-beat).
        | _crud("django_celery_beat", "periodictask", actions=("view", "change"))
        | _view("django_celery_beat", "intervalschedule", "crontabschedule")
        | _view("notifications", "notification")
    ),
    # GDPR (RODO): who saw whose personal data, a person's export, and erasure on request.
    DATA_PROTECTION_OFFICER: (
        _view("customers", "customer", "customeridentity", "consent", "consentevent", "customerdataaccess")
        | {"customers.export_customer", "customers.erase_customer"}
        | _view("orders", "order")
    ),
}


def role_permissions_sync(sender=None, using="default", apps=None, **kwargs) -> None:
    """Grant each role exactly the permissions listed above (idempotent; runs after migrate)."""
    from django.apps import apps as global_apps

    apps = apps or global_apps
    try:
        Group = apps.get_model("auth", "Group")
        Permission = apps.get_model("auth", "Permission")
    except LookupError:
        return
    wanted = {perm for perms in ROLE_PERMISSIONS.values() for perm in perms}
    found = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.using(using)
        .select_related("content_type")
        .filter(codename__in={w.split(".", 1)[1] for w in wanted})
    }
    for name, perms in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.using(using).get_or_create(name=name)
        group.permissions.set([found[p] for p in sorted(perms) if p in found])
