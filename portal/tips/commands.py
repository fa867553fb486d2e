"""The tips area's additions to the command line: none yet, only its periodic jobs."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Add this area's periodic jobs to the worker."""
    from portal.tips import jobs  # noqa: F401  (registers its periodic jobs)
