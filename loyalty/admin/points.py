"""Admin pages of loyalty's points."""
