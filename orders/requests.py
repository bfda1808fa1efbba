"""One order request, whoever sends it (the API, the admin, the store console, imports): a typed
``OrderRequest`` built and validated in one place (``order_request_build``), with field errors.
Faces only parse their input into it; ``order_place`` keeps the same rules
(``order_request_errors``), so a request built by hand cannot skip them."""

from dataclasses import dataclass, field, replace
from dataclasses import fields as dataclass_fields
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import get_supported_language_variant
from django.utils.translation import gettext as _

from catalog.models import Channel
from catalog.selectors import variant_ids_by_sku
from customers.selectors import company_has_member
from inventory.selectors import pickup_location_get
from omnishop.phone import phone_e164
from omnishop.vocabulary import PICKUP_FULFILMENTS, FulfilmentType, PaymentMethod

from .exceptions import InvalidOrder

ADDRESS_REQUIRED = ("street", "postal_code", "city")  # what a courier needs of a shipping address


@dataclass(frozen=True)
class Contact:
    email: str = ""
    phone: str = ""
    name: str = ""


@dataclass(frozen=True)
class MarketplaceFee:
    kind: str  # an ``OrderFee.Kind``
    amount: Decimal


@dataclass(frozen=True)
class MarketplaceSale:
    """What only a marketplace's import carries: the marketplace's own order id, the unit prices
    its buyer paid there (by variant id: they replace the price list's), the shipping it charged
    them and its fees, in ``currency`` (the channel's)."""

    order_id: str
    currency: str
    unit_prices: dict[int, Decimal]
    shipping: Decimal = Decimal("0.00")
    fees: tuple[MarketplaceFee, ...] = ()


@dataclass(frozen=True)
class OrderRequest:
    """What is ordered, how it reaches the customer and how it is paid, with the rows it names
    already read (channel, customer, company, pickup location, cart)."""

    channel: object
    lines: dict[int, int]
    fulfilment_type: str
    payment_method: str = PaymentMethod.CARD
    customer: object = None
    company: object = None
    contact: Contact | None = None
    pickup_location: object = None
    shipping_address: dict = field(default_factory=dict)
    cart: object = None
    marketplace: MarketplaceSale | None = None
    # The language the order was placed in (a guest's notices are written in it); "" is LANGUAGE_CODE.
    language: str = ""
    # What the customer pays with beside the payment method (loyalty.pricing prices them).
    coupon_code: str = ""
    points: int = 0
    gift_card_code: str = ""
    # Store credit to use at most (0: as much as there is); None: none.
    store_credit: Decimal | None = None

    def fields(self) -> dict:
        """The request as ``order_place``'s keyword arguments."""
        return {f.name: getattr(self, f.name) for f in dataclass_fields(self)}


def payment_method_errors(*, fulfilment_type: str, payment_method: str) -> list[str]:
    """Why ``payment_method`` does not fit the order (empty when it does): paying in the store
    needs the customer to come to one, so it is for pickups only (delivery would ship unpaid)."""
    if payment_method == PaymentMethod.PAY_IN_STORE and fulfilment_type not in PICKUP_FULFILMENTS:
        return [_("Pay in store is only for orders collected in a store.")]
    return []


def marketplace_sale_errors(request: OrderRequest) -> dict[str, list[str]]:
    """The rules of a marketplace's sale: only a marketplace channel imports one, always as a home
    delivery paid on the marketplace, in the channel's currency, with a price for every line."""
    sale = request.marketplace
    if sale is None:
        if request.payment_method == PaymentMethod.MARKETPLACE:
            return {"payment_method": [_("Only a marketplace's imported order is paid on the marketplace.")]}
        return {}
    errors: dict[str, list[str]] = {}
    if request.channel.kind != Channel.Kind.MARKETPLACE:
        errors["marketplace"] = [_("Only a marketplace channel imports marketplace orders.")]
    if not sale.order_id.strip():
        errors["marketplace_order_id"] = [_("Give the marketplace's order id.")]
    if sale.currency != request.channel.currency:
        errors["currency"] = [
            _("Channel %(channel)s sells in %(currency)s.")
            % {"channel": request.channel.code, "currency": request.channel.currency}
        ]
    if set(sale.unit_prices) != set(request.lines):
        errors["lines"] = [_("Every line needs the unit price the marketplace sold it at.")]
    if request.fulfilment_type != FulfilmentType.DELIVERY:
        errors["fulfilment_type"] = [_("A marketplace order is a home delivery.")]
    if request.payment_method != PaymentMethod.MARKETPLACE:
        errors["payment_method"] = [_("A marketplace order is paid on the marketplace.")]
    return errors


def order_request_errors(request: OrderRequest) -> dict[str, list[str]]:
    """The rules an order request keeps whoever sends it, by field (empty when it keeps them)."""
    errors: dict[str, list[str]] = marketplace_sale_errors(request)
    if request.fulfilment_type == FulfilmentType.IN_STORE:
        # Bought at the till already: the POS records it (orders.services.till), nobody places it.
        errors["fulfilment_type"] = [_("A till sale is recorded by the store's POS, not placed as an order.")]
    delivery = request.fulfilment_type == FulfilmentType.DELIVERY
    if any(int(quantity) < 1 for quantity in request.lines.values()):
        errors.setdefault("lines", [_("Every line needs at least one unit.")])
    if payment := payment_method_errors(fulfilment_type=request.fulfilment_type, payment_method=request.payment_method):
        errors.setdefault("payment_method", payment)
    # Nobody to tell about a guest's order (ready for pickup, shipped, cancelled) without these.
    contact = request.contact
    reachable = contact is not None and (contact.email.strip() or contact.phone.strip())
    if request.customer is None and request.company is None and not reachable:
        errors["contact"] = [_("An order without a customer or a company needs a contact e-mail or phone.")]
    if (
        request.customer is not None
        and request.company is not None
        and not company_has_member(company=request.company, customer=request.customer)
    ):
        # The customer would see the company's order, and the company's users this one.
        errors["customer"] = [_("The customer is not a member of the company.")]
    if delivery and not all(str((request.shipping_address or {}).get(p) or "").strip() for p in ADDRESS_REQUIRED):
        errors["shipping_address"] = [_("Home delivery needs a street, a postal code and a city.")]
    pickup = request.pickup_location
    if delivery and pickup is not None:
        # Else the store's staff would find a parcel order in their pickup queue.
        errors["pickup_store"] = [_("A home delivery has no pickup store.")]
    elif not delivery and pickup is None:
        errors["pickup_store"] = [_("Click & collect and reserve & try need a pickup store.")]
    elif pickup is not None and not (pickup.is_active and pickup.click_and_collect):
        errors["pickup_store"] = [_("%(store)s does not offer pickup.") % {"store": pickup.name}]
    errors.update(rewards_errors(request))
    return errors


def rewards_errors(request: OrderRequest) -> dict[str, list[str]]:
    """Points and store credit belong to a customer; a marketplace priced its sale itself."""
    errors: dict[str, list[str]] = {}
    if request.points < 0:
        errors["points"] = [_("Points to redeem cannot be negative.")]
    if request.store_credit is not None and request.store_credit < 0:
        errors["store_credit"] = [_("Store credit to use cannot be negative.")]
    if request.customer is None:
        if request.points:
            errors.setdefault("points", [_("Only a signed-in customer can pay with points.")])
        if request.store_credit is not None:
            errors.setdefault("store_credit", [_("Only a customer with an account can pay with store credit.")])
    if request.marketplace is not None and (request.coupon_code or request.points or request.gift_card_code):
        errors["coupon_code"] = [_("A marketplace's sale carries the marketplace's own prices and discounts.")]
    return errors


def order_language(language: str) -> str:
    """``language`` as one of settings.LANGUAGES (``en-GB`` is ``en``), else LANGUAGE_CODE."""
    try:
        return get_supported_language_variant(language) if language else settings.LANGUAGE_CODE
    except LookupError:
        return settings.LANGUAGE_CODE


def order_request_invalid(errors: dict[str, list[str]]) -> InvalidOrder:
    return InvalidOrder(" ".join(m for messages in errors.values() for m in messages), errors=errors)


def skus_resolve(skus: list[str]) -> tuple[dict[str, int], dict[str, list[str]]]:
    """The variant id of each SKU, and an error on ``lines.<i>.sku`` for each unknown one."""
    variants = variant_ids_by_sku(skus=skus)
    errors = {
        f"lines.{i}.sku": [_("Unknown SKU %(sku)s.") % {"sku": sku}]
        for i, sku in enumerate(skus)
        if sku not in variants
    }
    return variants, errors


def order_request_build(
    *,
    channel,
    fulfilment_type: str,
    lines: dict[int, int] | None = None,
    sku_lines: list[tuple[str, int]] | None = None,
    payment_method: str = PaymentMethod.CARD,
    customer=None,
    company=None,
    contact: Contact | None = None,
    pickup_store: str = "",
    pickup_location=None,
    shipping_address: dict | None = None,
    cart=None,
    marketplace: MarketplaceSale | None = None,
    sku_prices: dict[str, Decimal] | None = None,
    language: str = "",
    coupon_code: str = "",
    points: int = 0,
    gift_card_code: str = "",
    store_credit: Decimal | None = None,
    field_names: dict[str, str] | None = None,
) -> OrderRequest:
    """Parse and validate an order request. Lines come as ``{variant id: quantity}`` or as
    ``sku_lines`` (``(sku, quantity)``, an unknown SKU is an error on ``lines.<i>.sku``); the
    pickup store as a ``Location`` or a location ``code`` (``pickup_store``); a marketplace's sale
    as ``marketplace``, its unit prices by variant id or, with ``sku_lines``, by SKU
    (``sku_prices``); the contact phone
    is stored in E.164 (``contact.phone`` error when it is not a phone number).
    Raises ``InvalidOrder`` with every field error at once; ``field_names`` renames error keys
    to the caller's own field names (e.g. ``{"customer": "customer_id"}``)."""
    errors: dict[str, list[str]] = {}
    if sku_lines is not None:
        variants, errors = skus_resolve([sku for sku, _quantity in sku_lines])
        lines = {variants[sku]: quantity for sku, quantity in sku_lines if sku in variants}
        if marketplace is not None and sku_prices is not None:
            unit_prices = {variants[sku]: price for sku, price in sku_prices.items() if sku in variants}
            marketplace = replace(marketplace, unit_prices=unit_prices)
    if pickup_store:
        pickup_location = pickup_location_get(code=pickup_store)
        if pickup_location is None:
            errors["pickup_store"] = [_("No pickup store with this code.")]
    if contact is not None and contact.phone.strip():
        try:
            contact = replace(contact, phone=phone_e164(contact.phone))
        except ValidationError as exc:
            errors["contact.phone"] = list(exc.messages)
    request = OrderRequest(
        channel=channel,
        lines={int(v): int(q) for v, q in (lines or {}).items()},
        fulfilment_type=fulfilment_type,
        payment_method=payment_method,
        customer=customer,
        company=company,
        contact=contact,
        pickup_location=pickup_location,
        shipping_address=dict(shipping_address or {}),
        cart=cart,
        marketplace=marketplace,
        language=order_language(language),
        coupon_code=coupon_code.strip(),
        points=int(points or 0),
        gift_card_code=gift_card_code.strip(),
        store_credit=store_credit,
    )
    for key, messages in order_request_errors(request).items():
        errors.setdefault(key, messages)
    if errors:
        names = field_names or {}
        raise order_request_invalid({names.get(key, key): messages for key, messages in errors.items()})
    return request
