"""`flask --app wsgi worker [--once] [--interval SECONDS]`: the outbox worker."""

from __future__ import annotations

import logging
import signal
import time

import click
from flask import Flask
from flask.cli import with_appcontext

from portal.core.extensions import db
from portal.core.outbox.worker import run_pass

logger = logging.getLogger(__name__)

# Sleep in short slices so a stop signal ends the worker within this many seconds.
_SLEEP_SLICE_SECONDS = 0.5


@click.command("worker")
@click.option("--once", is_flag=True, help="Run one pass, print a summary and exit.")
@click.option("--interval", type=click.FloatRange(min=0.1), default=5.0, show_default=True,
              help="Seconds to wait between passes.")
@with_appcontext
def worker_command(once: bool, interval: float) -> None:
    """Send queued SMS and run the periodic jobs. Stops cleanly on SIGTERM or SIGINT."""
    if once:
        click.echo(str(run_pass()))
        db.session.remove()
        return

    stopping = False

    def stop(signum: int, frame: object) -> None:
        """Signal handler: finish the current pass, then leave the loop."""
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(f"worker: running a pass every {interval:g} s; stop with Ctrl+C or SIGTERM")
    while not stopping:
        try:
            summary = run_pass()
        except Exception as exc:  # noqa: BLE001 - a database outage must not end the worker; retry next pass
            logger.error("worker pass failed: %s", type(exc).__name__)
        else:
            if summary.handled:
                click.echo(f"worker: {summary}")
        finally:
            db.session.remove()
        deadline = time.monotonic() + interval
        while not stopping and time.monotonic() < deadline:
            time.sleep(min(_SLEEP_SLICE_SECONDS, max(deadline - time.monotonic(), 0)))
    click.echo("worker: stopped")


def register(app: Flask) -> None:
    """Add this area's commands to the app's CLI."""
    app.cli.add_command(worker_command)
