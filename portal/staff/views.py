"""Staff views (placeholder until the staff slice lands)."""
