"""SMS webhook views (placeholder until the hotline slice lands)."""
