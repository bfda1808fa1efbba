"""Payment behind a provider interface. No real payment service is called: the fake provider
authorises every card payment (and declines a configured amount, for tests and the demo) and
refunds every refund asked of it."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.utils.crypto import get_random_string
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class PaymentResult:
    ok: bool
    reference: str = ""
    message: str = ""


class PaymentProvider(Protocol):
    def authorize(self, *, order_number: str, amount: Decimal, currency: str, method: str) -> PaymentResult: ...

    def refund(self, *, reference: str, amount: Decimal, currency: str, idempotency_key: str) -> PaymentResult:
        """Give back ``amount`` of the payment ``reference`` (a void when it was only authorised).
        The provider refunds once per ``idempotency_key``: a retry returns the first refund's result."""
        ...


class FakePaymentProvider:
    """Authorises everything except the amount 666.66 (a decline to test failure paths)."""

    DECLINED_AMOUNT = Decimal("666.66")

    def authorize(self, *, order_number: str, amount: Decimal, currency: str, method: str) -> PaymentResult:
        if amount == self.DECLINED_AMOUNT:
            return PaymentResult(ok=False, message="declined by the fake provider")
        return PaymentResult(ok=True, reference=f"FAKE-{get_random_string(12).upper()}")

    def refund(self, *, reference: str, amount: Decimal, currency: str, idempotency_key: str) -> PaymentResult:
        # The same key gives the same reference, as a real provider's idempotent refund would.
        return PaymentResult(ok=True, reference=f"FAKE-REFUND-{idempotency_key}")


def payment_provider() -> PaymentProvider:
    return import_string(settings.OMNISHOP_PAYMENT_PROVIDER)()
