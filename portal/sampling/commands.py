"""`flask --app wsgi ...` commands of this area: `import-sites FILE.csv` (which also opens the new
sites' slots)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app

from portal.extensions import db
from portal.sampling.importer import ImportResult, SiteFileError, import_sites
from portal.sampling.slots import open_slots_ahead


def report_import(result: ImportResult) -> None:
    """Print what an import did: one summary line, then each rejected row with its line number."""
    click.echo(
        f"Loaded {result.created_count} new sites, {result.already_present} already present, "
        f"{len(result.rejected)} rows rejected"
    )
    for rejected in result.rejected:
        click.echo(f"  line {rejected.line}: {rejected.reason}")


def register(app: Flask) -> None:
    """Add this area's commands to the app's CLI, and its periodic jobs to the worker."""
    from portal.sampling import jobs  # noqa: F401  (registers its periodic jobs)

    @app.cli.command("import-sites")
    @click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def import_sites_command(csv_file: Path) -> None:
        """Load sampling sites from a published CSV list (name, city, province, weekday_hours, phone,
        fee, notes, source). Sites already present (same province and name) are left unchanged."""
        try:
            result = import_sites(csv_file, timezone=current_app.config["SETTINGS"].site_timezone)
        except SiteFileError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from exc
        opened = open_slots_ahead()
        db.session.commit()
        report_import(result)
        click.echo(f"Opened {opened} new slots, up to each site's booking horizon.")
        if result.rejected:
            # The good rows are loaded; the exit code still tells a script that some were not.
            raise SystemExit(1)
