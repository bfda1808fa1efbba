"""What loyalty's points registers in other apps when Django starts (card sections, merge and
privacy steps, event schemas, the expiry notice template)."""


def register() -> None:
    from customers.services import customer_merge_step_register, customer_privacy_register
    from omnishop.outbox.catalogue import event_schemas_register

    from ..card_points import points_card_register
    from ..events import POINTS_EVENT_SCHEMAS
    from ..services.points_customer import points_accounts_merge, points_erase, points_export, points_notices_register

    event_schemas_register(POINTS_EVENT_SCHEMAS)
    points_notices_register()
    points_card_register()
    customer_merge_step_register("loyalty_points", points_accounts_merge)
    customer_privacy_register("loyalty_points", export=points_export, erase=points_erase)
