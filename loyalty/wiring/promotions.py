"""What loyalty's promotions registers in other apps when Django starts (card sections, merge and
privacy steps, event schemas)."""


def register() -> None:
    from customers.services import customer_merge_step_register, customer_privacy_register
    from omnishop.outbox.catalogue import event_schemas_register

    from ..card_coupons import card_sections_register
    from ..events import COUPON_EVENT_SCHEMAS
    from ..services.coupon_customers import coupons_erase, coupons_export, coupons_move

    event_schemas_register(COUPON_EVENT_SCHEMAS)
    card_sections_register()
    customer_merge_step_register("coupons", coupons_move)
    customer_privacy_register("coupons", export=coupons_export, erase=coupons_erase)
