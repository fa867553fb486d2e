"""Public pages: start page, language switch, privacy, health check."""
