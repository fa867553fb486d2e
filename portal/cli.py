"""Command-line commands: `flask --app wsgi <command>`."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register every command group's commands on the app."""
