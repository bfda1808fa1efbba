"""Loyalty's reads, by area (``loyalty.selectors.wallets``, ...)."""
