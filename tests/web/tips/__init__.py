"""The web tip journey and the anonymous follow-up (portal/web/tips/)."""
