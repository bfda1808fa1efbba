"""The customer's own delivery addresses (account in the web shop and the app). They move with a
merge, go out with the GDPR export and are deleted by the erasure."""

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from omnishop.phone import phone_e164

from ..models import Customer, CustomerAddress
from .merge import customer_merge_step_register
from .privacy import customer_privacy_register

MAX_ADDRESSES = 20
POLISH_POSTAL_CODE = re.compile(r"^\d{2}-\d{3}$")


def customer_address_add(
    *,
    customer: Customer,
    street: str,
    postal_code: str,
    city: str,
    country: str = "PL",
    recipient: str = "",
    label: str = "",
    phone: str = "",
    actor=None,
) -> CustomerAddress:
    """Keep one more address for ``customer``. The customer row is locked while the addresses are
    counted, so two requests at once cannot pass the limit of ``MAX_ADDRESSES``. A Polish postal
    code is ``NN-NNN``; the phone is stored in E.164. Raises ``ValidationError`` keyed by field."""
    country = (country or "PL").strip().upper()
    postal_code = postal_code.strip()
    errors = {}
    if country == "PL" and not POLISH_POSTAL_CODE.match(postal_code):
        errors["postal_code"] = [_("Enter a Polish postal code as NN-NNN, e.g. 90-001.")]
    if phone.strip():
        try:
            phone = phone_e164(phone)
        except ValidationError as exc:
            errors["phone"] = exc.messages
    if errors:
        raise ValidationError(errors)
    address = CustomerAddress(
        customer=customer,
        label=label.strip(),
        recipient=recipient.strip(),
        street=street.strip(),
        postal_code=postal_code,
        city=city.strip(),
        country=country,
        phone=phone.strip(),
    )
    address.full_clean(exclude=["customer"])
    with transaction.atomic():
        Customer.objects.select_for_update().filter(pk=customer.pk).values_list("pk", flat=True).get()
        if CustomerAddress.objects.filter(customer=customer).count() >= MAX_ADDRESSES:
            raise ValidationError(
                {
                    "non_field_errors": [
                        ngettext(
                            "At most %(n)d address can be kept.", "At most %(n)d addresses can be kept.", MAX_ADDRESSES
                        )
                        % {"n": MAX_ADDRESSES}
                    ]
                },
                code="too_many_addresses",
            )
        address.save()
    return address


def customer_address_delete(*, customer: Customer, address_id: int, actor=None) -> bool:
    """Forget one of ``customer``'s addresses; False when they have none with that id (another
    customer's address is never touched)."""
    with transaction.atomic():
        deleted, _rows = CustomerAddress.objects.filter(customer=customer, pk=address_id).delete()
    return bool(deleted)


def _addresses_merge(*, survivor: Customer, duplicate: Customer, actor=None) -> int:
    return CustomerAddress.objects.filter(customer=duplicate).update(customer=survivor)


def _addresses_export(customer: Customer) -> list[dict]:
    return list(
        CustomerAddress.objects.filter(customer=customer)
        .order_by("id")
        .values("label", "recipient", "street", "postal_code", "city", "country", "phone")
    )


def _addresses_erase(*, customer: Customer, actor=None) -> int:
    return CustomerAddress.objects.filter(customer=customer).delete()[0]


customer_merge_step_register("addresses", _addresses_merge)
customer_privacy_register("addresses", export=_addresses_export, erase=_addresses_erase)
