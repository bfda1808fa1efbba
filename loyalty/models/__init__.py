"""Loyalty's data, by area: points (accounts, lots, ledger, earning rules, tiers), promotions
(promotions, coupons, redemptions) and wallets (gift cards, store credit)."""

from .points import *  # noqa: F403
from .promotions import *  # noqa: F403
from .wallets import *  # noqa: F403
