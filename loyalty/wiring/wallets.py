"""What loyalty's wallets registers in other apps when Django starts (card sections, merge and
privacy steps, event schemas, notification templates)."""


def register() -> None:
    from customers.services import customer_merge_step_register, customer_privacy_register
    from omnishop.outbox.catalogue import event_schemas_register

    from ..card_wallets import card_sections_register
    from ..events import WALLET_EVENT_SCHEMAS
    from ..services.giftcard_notices import giftcard_notices_register
    from ..services.wallets_privacy import wallets_block_erasure, wallets_erase, wallets_export, wallets_merge

    event_schemas_register(WALLET_EVENT_SCHEMAS)
    giftcard_notices_register()
    card_sections_register()
    customer_merge_step_register("loyalty_wallets", wallets_merge)
    customer_privacy_register(
        "loyalty_wallets", export=wallets_export, erase=wallets_erase, check=wallets_block_erasure
    )
