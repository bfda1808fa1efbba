"""Admin pages of loyalty's promotions."""
