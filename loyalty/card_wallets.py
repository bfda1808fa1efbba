"""Wallets' section of the customer's 360° card (registered in ``loyalty/wiring/wallets.py``):
store credit per currency with the latest entries, and the gift cards the customer owns (last 4
only). Agents with ``loyalty.grant_store_credit`` grant credit from it (reason required); agents
with ``loyalty.issue_gift_card`` open the issue form for this customer, which shows the code
once. A fixed number of queries, however long the history."""

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.card import CardAction, CardSection, card_section_register

from .selectors.wallets import (
    gift_cards_for_customer,
    store_credit_accounts_for_customer,
    store_credit_entries_for_customer,
)
from .services.store_credit import store_credit_grant

ENTRIES_SHOWN = 5
GIFT_CARDS_SHOWN = 10
GRANT_PERMISSION = "loyalty.grant_store_credit"
ISSUE_PERMISSION = "loyalty.issue_gift_card"


def _wallets(customer, request: HttpRequest) -> dict:
    return {
        "accounts": store_credit_accounts_for_customer(customer=customer),
        "entries": list(store_credit_entries_for_customer(customer=customer)[:ENTRIES_SHOWN]),
        "gift_cards": gift_cards_for_customer(customer=customer, limit=GIFT_CARDS_SHOWN),
        "can_issue_gift_card": request.user.has_perm(ISSUE_PERMISSION),
        "issue_url": f"{reverse('admin:loyalty_giftcard_add')}?customer={customer.pk}",
        "default_currency": settings.OMNISHOP_DEFAULT_CURRENCY,
    }


def _grant(customer, request: HttpRequest) -> str:
    try:
        amount = Decimal(request.POST.get("amount", "").replace(",", ".").strip())
    except InvalidOperation:
        raise ValidationError(_("Give the amount, e.g. 50.00.")) from None
    currency = request.POST.get("currency") or settings.OMNISHOP_DEFAULT_CURRENCY
    entry = store_credit_grant(
        customer=customer,
        amount=amount,
        currency=currency,
        reason=request.POST.get("reason", ""),
        source="agent",
        actor=request.user,
    )
    return _("Store credit granted: %(amount)s %(currency)s (balance %(balance)s).") % {
        "amount": entry.amount,
        "currency": currency,
        "balance": entry.balance_after,
    }


def card_sections_register() -> None:
    card_section_register(
        CardSection(
            name="wallets",
            title=gettext_lazy("Store credit and gift cards"),
            order=35,
            column=3,
            context=_wallets,
            template="admin/loyalty/card/wallets.html",
            permission="loyalty.view_storecreditaccount",
            actions=(CardAction("grant", gettext_lazy("Grant store credit"), _grant, permission=GRANT_PERMISSION),),
        )
    )
