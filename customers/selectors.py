"""Customer reads."""

from .models import Customer


def customer_for_user(*, user) -> Customer | None:
    """The customer record behind a login, if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Customer.objects.filter(user=user).first()
