"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`.

A configuration the portal refuses (production without its secrets, a malformed number) stops it
here with the list of what to fix and exit status 1, not a Python traceback."""

import sys

from portal.app import create_app
from portal.core.config import ConfigurationError

try:
    app = create_app()
except ConfigurationError as refused:
    print(f"Tuanyuan Portal did not start: {refused}", file=sys.stderr)
    sys.exit(1)
