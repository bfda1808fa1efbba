"""Customer writes: profiles and identities, consents, notes, merges, data export and erasure."""

from .addresses import MAX_ADDRESSES, customer_address_add, customer_address_delete
from .consents import consent_set
from .merge import MergeRefused, customer_merge, customer_merge_step_register
from .notes import customer_note_add, customer_note_pin
from .privacy import (
    ErasureRefused,
    customer_data_export,
    customer_data_viewed,
    customer_erase,
    customer_erasure_blockers,
    customer_privacy_register,
    customers_data_viewed,
)
from .profiles import (
    IDENTIFIER_KINDS,
    CustomerRow,
    MarketplaceBuyer,
    customer_create,
    customer_for_identifier,
    customer_for_marketplace_buyer,
    customer_for_user_ensure,
    customer_identity_add,
    customer_notification_preferences_set,
    customer_profile_update,
    customers_bulk_create,
)

__all__ = [
    "IDENTIFIER_KINDS",
    "MAX_ADDRESSES",
    "CustomerRow",
    "ErasureRefused",
    "MarketplaceBuyer",
    "MergeRefused",
    "consent_set",
    "customer_address_add",
    "customer_address_delete",
    "customer_create",
    "customer_data_export",
    "customer_data_viewed",
    "customer_erase",
    "customer_erasure_blockers",
    "customer_for_identifier",
    "customer_for_marketplace_buyer",
    "customer_for_user_ensure",
    "customer_identity_add",
    "customer_merge",
    "customer_merge_step_register",
    "customer_note_add",
    "customer_note_pin",
    "customer_notification_preferences_set",
    "customer_privacy_register",
    "customer_profile_update",
    "customers_bulk_create",
    "customers_data_viewed",
]
