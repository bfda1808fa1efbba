"""Inventory writes, by flow on the ledger kernel (``ledger``): holds, allocations, transfers,
bulk sync, consistency repair, and locations. Every change of stock locks rows in (variant,
location) order through ``inventory.lock_objects``."""

from ..events import stock_changed_message
from .allocations import (
    stock_allocate,
    stock_allocate_arrived,
    stock_allocation_short,
    stock_fulfil,
    stock_release,
    stock_sell,
)
from .channel_stock import channel_stock_refresh
from .consistency import (
    StockRepairResult,
    stock_consistency_repair,
)
from .holds import (
    stock_hold_place,
    stock_holds_purge_expired,
    stock_holds_release,
)
from .ledger import (
    StockChange,
    StockChangesOutcome,
    StockLine,
    stock_changes_apply,
    stock_receive,
)
from .locations import (
    LOCATION_EDITABLE_FIELDS,
    location_create,
    location_staff_set,
    location_update,
    stock_safety_stock_set,
)
from .sync import (
    SYNC_ID_MAX_LENGTH,
    SYNC_ID_PATTERN,
    StockSyncResult,
    StockSyncRow,
    SyncErrorPolicy,
    SyncMode,
    stock_sync_apply,
    stock_sync_key,
)
from .transfers import (
    transfer_cancel,
    transfer_receive,
    transfer_request,
    transfer_ship,
)

__all__ = [
    "LOCATION_EDITABLE_FIELDS",
    "SYNC_ID_MAX_LENGTH",
    "SYNC_ID_PATTERN",
    "StockChange",
    "StockChangesOutcome",
    "StockLine",
    "StockRepairResult",
    "StockSyncResult",
    "StockSyncRow",
    "SyncErrorPolicy",
    "SyncMode",
    "channel_stock_refresh",
    "location_create",
    "location_staff_set",
    "location_update",
    "stock_allocate",
    "stock_allocate_arrived",
    "stock_allocation_short",
    "stock_changed_message",
    "stock_changes_apply",
    "stock_consistency_repair",
    "stock_fulfil",
    "stock_hold_place",
    "stock_holds_purge_expired",
    "stock_holds_release",
    "stock_receive",
    "stock_release",
    "stock_safety_stock_set",
    "stock_sell",
    "stock_sync_apply",
    "stock_sync_key",
    "transfer_cancel",
    "transfer_receive",
    "transfer_request",
    "transfer_ship",
]
