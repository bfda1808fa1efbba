"""Loyalty accounts and points, tiers, coupons and promotions, and the one pricing engine."""
