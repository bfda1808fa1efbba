"""Carts, checkout, orders, fulfilments and their events."""
