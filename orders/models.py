"""Carts, orders from every channel, their lines, fulfilments and events."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from omnishop.vocabulary import FulfilmentType

from .events import OrderEventType


class Cart(models.Model):
    """One active cart per customer, shared by web and app; anonymous carts live by token and
    merge into the customer's cart on login."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        MERGED = "merged", _("Merged")
        ORDERED = "ordered", _("Ordered")

    token = models.UUIDField(_("token"), default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="carts",
        verbose_name=_("customer"),
    )
    channel = models.ForeignKey(
        "catalog.Channel", on_delete=models.PROTECT, related_name="+", verbose_name=_("last channel")
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("cart")
        verbose_name_plural = _("carts")
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=Q(status="active"), name="orders_one_active_cart_per_customer"
            ),
        ]

    def __str__(self) -> str:
        return f"cart {self.token} ({self.status})"

    @property
    def hold_reference(self) -> str:
        return f"cart:{self.token}"


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines", verbose_name=_("cart"))
    variant = models.ForeignKey(
        "catalog.Variant", on_delete=models.CASCADE, related_name="+", verbose_name=_("variant")
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    added_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("cart line")
        verbose_name_plural = _("cart lines")
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "variant"], name="orders_cartline_unique_variant"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orders_cartline_quantity_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity}x {self.variant_id}"


class Order(models.Model):
    class Status(models.TextChoices):
        PLACED = "placed", _("Placed")
        CONFIRMED = "confirmed", _("Confirmed")
        AWAITING_TRANSFER = "awaiting_transfer", _("Awaiting transfer")
        PROCESSING = "processing", _("Processing")
        READY_FOR_PICKUP = "ready_for_pickup", _("Ready for pickup")
        SHIPPED = "shipped", _("Shipped")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    FulfilmentType = FulfilmentType  # the shared vocabulary (omnishop.vocabulary), also as Order.FulfilmentType

    class PaymentStatus(models.TextChoices):
        PENDING = "pending", _("Pending")
        PAID = "paid", _("Paid")
        PAY_IN_STORE = "pay_in_store", _("Pay in store")
        FAILED = "failed", _("Failed")
        REFUNDED = "refunded", _("Refunded")

    number = models.CharField(_("number"), max_length=32, unique=True)
    channel = models.ForeignKey(
        "catalog.Channel", on_delete=models.PROTECT, related_name="orders", verbose_name=_("channel")
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("customer"),
    )
    company = models.ForeignKey(
        "customers.Company",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("company"),
    )
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("placed by"),
        help_text=_("The agent or sales rep who placed it for the customer."),
    )
    email = models.EmailField(_("contact e-mail"), blank=True)
    phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    contact_name = models.CharField(_("contact name"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=30, choices=Status.choices, default=Status.PLACED, db_index=True)
    fulfilment_type = models.CharField(_("fulfilment"), max_length=30, choices=FulfilmentType.choices)
    pickup_location = models.ForeignKey(
        "inventory.Location",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pickup_orders",
        verbose_name=_("pickup store"),
    )
    # Given to the customer when the order is ready for pickup; the store hands the goods over
    # against it. Not shown to staff (it is the customer's proof), cleared at the hand-over.
    pickup_code = models.CharField(_("pickup code"), max_length=8, blank=True, default="", editable=False)
    pickup_attempts = models.PositiveSmallIntegerField(_("wrong pickup codes"), default=0, editable=False)
    # Set when the order becomes ready for pickup (OMNISHOP_PICKUP_HOLD_DAYS, or
    # OMNISHOP_ROPIS_HOLD_DAYS for a reservation): not collected by then, it is cancelled.
    pickup_expires_at = models.DateTimeField(
        _("collect by"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Not collected by then, the order is cancelled and its goods go back on sale."),
    )
    # When the customer is to be reminded: the store's pickup_reminder_days open days before
    # pickup_expires_at, at its opening time (set with it; none when that is not after ready).
    pickup_remind_at = models.DateTimeField(_("pickup reminder due"), null=True, blank=True, editable=False)
    # When the pickup reminder went out (pickup_reminders_send sends it once, at pickup_remind_at).
    pickup_reminded_at = models.DateTimeField(_("pickup reminder sent"), null=True, blank=True, editable=False)
    # The language of the request that placed it: a guest's notices are written in it.
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="pl")
    shipping_address = models.JSONField(_("shipping address"), default=dict, blank=True)
    billing_address = models.JSONField(_("billing address"), default=dict, blank=True)
    payment_status = models.CharField(
        _("payment"), max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    payment_method = models.CharField(_("payment method"), max_length=40, blank=True)
    payment_reference = models.CharField(_("payment reference"), max_length=100, blank=True)
    # Set when a cancelled order's card payment is given back (order_payment_refund).
    refund_reference = models.CharField(_("refund reference"), max_length=100, blank=True)
    # What went back of the card payment in part refunds (order_payment_refund_partial): lines
    # refused at the hand-over or cancelled; never more than the total (a CHECK holds it).
    refunded_total = models.DecimalField(
        _("refunded in part"), max_digits=12, decimal_places=2, default=0, editable=False
    )
    currency = models.CharField(_("currency"), max_length=3)
    subtotal = models.DecimalField(_("subtotal"), max_digits=12, decimal_places=2)
    discount_total = models.DecimalField(_("discounts"), max_digits=12, decimal_places=2, default=0)
    shipping_total = models.DecimalField(_("shipping"), max_digits=12, decimal_places=2, default=0)
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    # What loyalty gave and took (the pricing engine's stages, spent in order_place's transaction).
    coupon_code = models.CharField(_("coupon"), max_length=40, blank=True, default="", editable=False)
    points_redeemed = models.PositiveIntegerField(_("points redeemed"), default=0, editable=False)
    points_earned = models.PositiveIntegerField(
        _("points earned"), default=0, editable=False, help_text=_("Pending until the return window closes.")
    )
    # Paid with money omnishop keeps itself: the card, BLIK or transfer is asked only for the rest.
    gift_card_total = models.DecimalField(
        _("paid by gift card"), max_digits=12, decimal_places=2, default=0, editable=False
    )
    store_credit_total = models.DecimalField(
        _("paid by store credit"), max_digits=12, decimal_places=2, default=0, editable=False
    )
    # The receipt-level explanation: what each promotion, the coupon, the points and each earning rule gave.
    pricing = models.JSONField(_("pricing explanation"), default=dict, blank=True, editable=False)
    routing = models.JSONField(_("routing decision"), default=dict, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=100, blank=True, default="")
    request_fingerprint = models.CharField(_("request fingerprint"), max_length=64, blank=True)
    # A marketplace's own id of the order it imported (blank for every other order).
    external_id = models.CharField(_("marketplace order id"), max_length=100, blank=True, default="")
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    # Not stored: order_place sets it on the order it returns when a retry (same
    # Idempotency-Key) got the first order back instead of placing a new one.
    replayed = False

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-id"]
        # Lifecycle steps by role (admin actions): the warehouse processes and ships; store staff
        # prepare and hand over the pickup orders of their own stores.
        permissions = [
            ("ship_order", _("Can process and ship orders")),
            ("handle_pickup", _("Can prepare and hand over pickup orders in their own stores")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="orders_order_idempotent_per_channel",
            ),
            # One order per marketplace order: a re-sent import can never place a second one.
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=~Q(external_id=""),
                name="orders_order_external_id_per_channel",
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="orders_order_total_gte_0"),
            models.CheckConstraint(
                condition=Q(refunded_total__gte=0) & Q(refunded_total__lte=F("total")),
                name="orders_order_refunded_within_total",
            ),
            models.CheckConstraint(
                condition=Q(fulfilment_type=FulfilmentType.DELIVERY) | Q(pickup_location__isnull=False),
                name="orders_order_pickup_store_for_pickups",
            ),
            models.CheckConstraint(
                condition=Q(gift_card_total__gte=0)
                & Q(store_credit_total__gte=0)
                & Q(total__gte=F("gift_card_total") + F("store_credit_total")),
                name="orders_order_prepaid_within_total",
            ),
        ]
        indexes = [models.Index(fields=["customer", "-created_at"]), models.Index(fields=["company", "-created_at"])]

    def __str__(self) -> str:
        return self.number

    @property
    def amount_due(self):
        """What the payment method pays: the total less what a gift card and store credit paid."""
        return self.total - self.gift_card_total - self.store_credit_total


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines", verbose_name=_("order"))
    variant = models.ForeignKey(
        "catalog.Variant", on_delete=models.PROTECT, related_name="+", verbose_name=_("variant")
    )
    sku = models.CharField(_("SKU"), max_length=64)
    name = models.CharField(_("name"), max_length=300)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
    discount = models.DecimalField(_("discount"), max_digits=12, decimal_places=2, default=0)
    line_total = models.DecimalField(_("line total"), max_digits=12, decimal_places=2)
    # Units the customer refused at the hand-over (or did not keep after trying them on).
    quantity_refused = models.PositiveIntegerField(_("refused at the hand-over"), default=0, editable=False)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orders_orderline_quantity_gt_0"),
            models.CheckConstraint(
                condition=Q(quantity_refused__lte=F("quantity")), name="orders_orderline_refused_within_quantity"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity}x {self.sku}"


class OrderFee(models.Model):
    """What a marketplace charges the retailer for an order it sold (its commission, the shipping
    it charged), as the marketplace reported it, in its currency."""

    class Kind(models.TextChoices):
        COMMISSION = "commission", _("Commission")
        SHIPPING = "shipping", _("Shipping charged")
        PAYMENT = "payment", _("Payment fee")
        OTHER = "other", _("Other fee")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="fees", verbose_name=_("order"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)

    class Meta:
        verbose_name = _("marketplace fee")
        verbose_name_plural = _("marketplace fees")
        ordering = ["order_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="orders_orderfee_amount_gte_0"),
            models.UniqueConstraint(fields=["order", "kind"], name="orders_orderfee_one_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind} {self.amount} {self.currency}"


class Fulfilment(models.Model):
    """What one location does for an order: a parcel, or goods for pickup in a store."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        AWAITING_TRANSFER = "awaiting_transfer", _("Awaiting transfer")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="fulfilments", verbose_name=_("order"))
    location = models.ForeignKey(
        "inventory.Location", on_delete=models.PROTECT, related_name="fulfilments", verbose_name=_("source location")
    )
    status = models.CharField(_("status"), max_length=30, choices=Status.choices, default=Status.PENDING)
    transfer = models.ForeignKey(
        "inventory.Transfer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("transfer to the pickup store"),
    )
    # A parcel's carrier and tracking number, set when it is shipped (fulfilment_ship).
    carrier = models.CharField(_("carrier"), max_length=50, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=100, blank=True)
    shipped_at = models.DateTimeField(_("shipped"), null=True, blank=True)

    class Meta:
        verbose_name = _("fulfilment")
        verbose_name_plural = _("fulfilments")
        ordering = ["order_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(tracking_number="") | Q(shipped_at__isnull=False),
                name="orders_fulfilment_tracked_if_shipped",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} from {self.location_id}"


class FulfilmentLine(models.Model):
    fulfilment = models.ForeignKey(
        Fulfilment, on_delete=models.CASCADE, related_name="lines", verbose_name=_("fulfilment")
    )
    order_line = models.ForeignKey(
        OrderLine, on_delete=models.CASCADE, related_name="fulfilment_lines", verbose_name=_("order line")
    )
    allocation = models.OneToOneField(
        "inventory.Allocation", on_delete=models.PROTECT, related_name="fulfilment_line", verbose_name=_("allocation")
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    # Picking in the store (orders.services.picking): units put in the basket, units not there
    # (missing or damaged; re-routed to another location or cancelled), and of those the cancelled.
    picked_quantity = models.PositiveIntegerField(_("picked"), default=0, editable=False)
    short_quantity = models.PositiveIntegerField(_("short"), default=0, editable=False)
    cancelled_quantity = models.PositiveIntegerField(_("cancelled"), default=0, editable=False)

    class Meta:
        verbose_name = _("fulfilment line")
        verbose_name_plural = _("fulfilment lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orders_fulfilmentline_quantity_gt_0"),
            models.CheckConstraint(
                condition=Q(picked_quantity__lte=F("quantity") - F("short_quantity")),
                name="orders_fulfilmentline_picked_short_lte_quantity",
            ),
            models.CheckConstraint(
                condition=Q(cancelled_quantity__lte=F("short_quantity")),
                name="orders_fulfilmentline_cancelled_lte_short",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity}x line {self.order_line_id}"

    @property
    def to_pick(self) -> int:
        return self.quantity - self.picked_quantity - self.short_quantity


class OrderRefund(models.Model):
    """A part of an order's card payment given back (``order_payment_refund_partial``): asked of
    the provider after commit under ``reference``, its idempotency key, so a retry or a second
    request with the same reference never refunds twice."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Refunded")
        FAILED = "failed", _("Failed, retried")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="refunds", verbose_name=_("order"))
    reference = models.CharField(_("reference"), max_length=100, unique=True)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    reason = models.CharField(_("reason"), max_length=300)
    # What the refund is for: [{"line": id, "sku": ..., "quantity": n}].
    lines = models.JSONField(_("lines"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    provider_reference = models.CharField(_("provider reference"), max_length=100, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    refunded_at = models.DateTimeField(_("refunded"), null=True, blank=True)

    class Meta:
        verbose_name = _("part refund")
        verbose_name_plural = _("part refunds")
        ordering = ["order_id", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="orders_orderrefund_amount_gt_0")]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount} {self.currency}"


class OrderEvent(models.Model):
    """The order's timeline, for people: every state change and notable action."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events", verbose_name=_("order"))
    type = models.CharField(_("type"), max_length=50, choices=OrderEventType.choices)
    from_status = models.CharField(_("from"), max_length=30, blank=True)
    to_status = models.CharField(_("to"), max_length=30, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    channel = models.ForeignKey(
        "catalog.Channel", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("channel")
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    payload = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id} {self.type}"


class TillSale(models.Model):
    """A sale at a store's till that its POS reported (``till_sale_record``): the completed order
    of the store channel it became, and what the till sent of its own. One per (store, receipt
    number), held by the database: a receipt sent again finds its first order."""

    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="till_sale", verbose_name=_("order"))
    location = models.ForeignKey(
        "inventory.Location", on_delete=models.PROTECT, related_name="till_sales", verbose_name=_("store")
    )
    receipt_number = models.CharField(_("till receipt number"), max_length=64)
    sold_at = models.DateTimeField(_("sold at"))
    # [{"method": "card", "amount": "120.00"}, ...] as the till took them, amounts as strings.
    payments = models.JSONField(_("payments"), default=list)
    # {sku: units}: units the sale found on the shelf beyond what the system believed, booked as a count.
    stock_corrections = models.JSONField(_("stock corrections"), default=dict, blank=True)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("till sale")
        verbose_name_plural = _("till sales")
        ordering = ["-sold_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["location", "receipt_number"], name="orders_tillsale_receipt_per_store"),
            models.CheckConstraint(condition=~Q(receipt_number=""), name="orders_tillsale_receipt_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.location_id} #{self.receipt_number}"
