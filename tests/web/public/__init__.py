"""Tests of portal/web/public/: the language switch (the start page and the health check are in tests/test_smoke.py)."""
