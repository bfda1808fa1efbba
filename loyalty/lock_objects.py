"""Row locks of loyalty, all taken here, always in one order so two transactions that touch the
same rows queue instead of deadlocking:

1. loyalty accounts (by id), 2. promotions (by id), then coupons (by id), 3. gift cards (by id),
4. store-credit accounts (by id).

Checkout takes them after the stock rows (inventory's order), so an order's whole lock set is
always stock → points → coupons → gift cards → store credit.
"""
