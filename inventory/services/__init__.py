"""Inventory writes: locations, the stock ledger, allocations, holds, transfers, bulk sync and
consistency repair. Every change of stock locks rows in (variant, location) order."""

from .consistency import (
    StockRepairResult,
    stock_consistency_repair,
)
from .locations import (
    location_create,
)
from .stock import (
    StockChange,
    StockLine,
    stock_allocate,
    stock_changed_message,
    stock_fulfil,
    stock_hold_place,
    stock_holds_purge_expired,
    stock_holds_release,
    stock_release,
    stock_safety_stock_set,
)
from .sync import (
    SYNC_ID_MAX_LENGTH,
    SYNC_ID_PATTERN,
    StockChangesOutcome,
    StockSyncResult,
    StockSyncRow,
    SyncErrorPolicy,
    SyncMode,
    stock_changes_apply,
    stock_receive,
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
    "location_create",
    "stock_allocate",
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
    "stock_sync_apply",
    "stock_sync_key",
    "transfer_cancel",
    "transfer_receive",
    "transfer_request",
    "transfer_ship",
]
