"""portal/demo."""
