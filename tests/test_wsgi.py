"""The WSGI entry point (`wsgi.py`): a refused configuration stops the portal with the list of what
to fix and exit status 1, not a Python traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_production_without_its_secrets_stops_with_the_list_and_no_traceback():
    env = {key: value for key, value in os.environ.items()
           if key not in {"SECRET_KEY", "DATA_ENCRYPTION_KEYS", "LOOKUP_KEY", "PUBLIC_BASE_URL", "SMS_BACKEND"}}
    env["PORTAL_ENV"] = "production"
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "routes"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "Tuanyuan Portal did not start: Refusing to start in production:" in done.stderr
    assert "SECRET_KEY must be set" in done.stderr and "Traceback" not in done.stderr
