"""What loyalty's promotions registers in other apps when Django starts (card sections, merge and
privacy steps, event schemas)."""


def register() -> None:
    from omnishop.outbox.catalogue import event_schemas_register

    from ..events import COUPON_EVENT_SCHEMAS

    event_schemas_register(COUPON_EVENT_SCHEMAS)
