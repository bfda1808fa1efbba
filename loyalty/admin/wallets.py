"""Admin pages of loyalty's wallets."""
