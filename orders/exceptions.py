from django.utils.translation import gettext_lazy as _

from omnishop.exceptions import DomainError


class IdempotencyConflict(DomainError):
    code = "idempotency_conflict"
    title = _("This Idempotency-Key was already used for a different request.")
    status_code = 409


class MarketplaceOrderConflict(DomainError):
    """A marketplace sent an order id it imported before, with other content."""

    code = "marketplace_order_conflict"
    title = _("This marketplace order was already imported with other content.")
    status_code = 409


class InvalidOrder(DomainError):
    """The order request breaks a rule of its own; ``errors`` names the fields."""

    code = "validation_error"
    title = _("Invalid input.")
    status_code = 400


class InvalidTransition(DomainError):
    code = "invalid_transition"
    title = _("The order cannot make this change in its current state.")
    status_code = 409


class TransitionNotAllowed(DomainError):
    code = "transition_not_allowed"
    title = _("You may not make this change to the order.")
    status_code = 403


class EmptyOrder(DomainError):
    code = "empty_order"
    title = _("An order needs at least one line.")
    status_code = 400


class NotYourStore(DomainError):
    """Store staff act only on the pickup orders of the stores they work at."""

    code = "not_your_store"
    title = _("This order is collected in a store you do not work at.")
    status_code = 403


class WrongPickupCode(DomainError):
    code = "wrong_pickup_code"
    title = _("The pickup code does not match the order.")
    status_code = 400


class CartNotActive(DomainError):
    """The cart was checked out or merged into another: its lines can no longer change."""

    code = "cart_not_active"
    title = _("This cart was already checked out or merged into another cart.")
    status_code = 409


class CartChanged(DomainError):
    """The cart's lines changed while it was being checked out."""

    code = "cart_changed"
    title = _("The cart changed while it was being checked out.")
    status_code = 409


class RefundFailed(DomainError):
    """The payment provider did not give the money back; the payment is still paid."""

    code = "refund_failed"
    title = _("The payment provider did not refund the payment.")
    status_code = 502


class UnknownEan(DomainError):
    """A scanned EAN is on no line of the fulfilment being picked."""

    code = "unknown_ean"
    title = _("No line of this order has this EAN.")
    status_code = 404


class PickQuantityExceeded(DomainError):
    """More units picked (or short) than the line still has to pick."""

    code = "pick_quantity_exceeded"
    title = _("More units than the line still has to pick.")
    status_code = 409


class RefundExceedsPayment(DomainError):
    """A part refund would give back more than what is left of the payment."""

    code = "refund_exceeds_payment"
    title = _("The refund is more than what is left of the payment.")
    status_code = 409


class NothingToRefund(DomainError):
    """Only a card payment taken (paid, not yet refunded) is refunded in part."""

    code = "nothing_to_refund"
    title = _("This order has no card payment to refund.")
    status_code = 409


class PickupNotFound(DomainError):
    """No order waits in the user's stores for this code, or this number and customer."""

    code = "pickup_not_found"
    title = _("No order waits for pickup in your store under these details.")
    status_code = 404


class PickupCodeAmbiguous(DomainError):
    """Two orders waiting in the store share the code: the number tells them apart."""

    code = "pickup_code_ambiguous"
    title = _("Several orders wait under this code: find the order by its number.")
    status_code = 409


class CustomerCheckFailed(DomainError):
    """The surname or the phone digits given at the counter do not match the order."""

    code = "customer_check_failed"
    title = _("The surname or the phone digits do not match the order.")
    status_code = 400


class PickupExpired(DomainError):
    code = "pickup_expired"
    title = _("The pickup time of this order is over.")
    status_code = 409


class AlreadyHandedOver(DomainError):
    code = "already_handed_over"
    title = _("This order was already handed over.")
    status_code = 409


class TillPaymentRequired(DomainError):
    """A pay-in-store order is handed over only once the till took the payment."""

    code = "till_payment_required"
    title = _("Confirm the payment taken at the till (method and receipt number) first.")
    status_code = 400


class InvalidHandOver(DomainError):
    """The lines refused (or not kept) do not fit the order; ``errors`` names them."""

    code = "validation_error"
    title = _("Invalid input.")
    status_code = 400
