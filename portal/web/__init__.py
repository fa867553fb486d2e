"""portal/web."""
