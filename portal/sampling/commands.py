"""`flask --app wsgi ...` commands of this area."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Add this area's commands to the app's CLI."""
