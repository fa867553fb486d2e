"""`flask --app wsgi ...` commands of this area: `import-sites FILE` (.xlsx or .csv; it also opens the new
sites' slots), and `tube-numbers duplicates` / `tube-numbers resolve` (tube numbers saved for more
than one person before migration 0012 made them unique; they work on a database still at 0011)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask_babel import force_locale

from portal.core.extensions import db
from portal.sampling.importer import ImportResult, RowOutcome, SiteFileError, import_sites
from portal.sampling.slots import open_site_slots
from portal.sampling.tube_duplicates import (
    ResolveRefused,
    SharedTubeNumber,
    find_shared_tube_numbers,
    local_text,
    resolve_shared_tube_number,
)

RESOLVE_USAGE = (
    '  flask tube-numbers resolve ATTENDEE_ID --set NEW_NUMBER --reason "..." --by USERNAME\n'
    '  flask tube-numbers resolve ATTENDEE_ID --clear --reason "..." --by USERNAME'
)


_OUTCOME_WORDS = {RowOutcome.LOADED: "loaded", RowOutcome.ALREADY_KNOWN: "already present",
                  RowOutcome.REFUSED: "refused"}


def report_import(result: ImportResult) -> None:
    """Print what an import did, in English (a command line tool's output): how the file was
    read, one summary line, then each row with its line number, what was done, what was
    guessed (an area code) and what was left out or why it was refused."""
    how = "an .xlsx spreadsheet" if result.file_kind == "xlsx" else f"a CSV file in {result.encoding}"
    click.echo(f"Read {how}.")
    click.echo(
        f"Loaded {_count(result.created_count, 'new site')}, {result.already_present} already present, "
        f"{_count(len(result.rejected), 'row')} rejected"
        + (" (nothing added: the sites this file could load are already known)"
           if result.already_present and not result.created else "")
    )
    with force_locale("en"):
        for row in result.rows:
            click.echo(f"  line {row.line} {row.name or '(no name)'}: {_OUTCOME_WORDS[row.outcome]}")
            for note in row.notes:
                click.echo(f"    {note}")


def report_shared(shared: list[SharedTubeNumber]) -> None:
    """Print each shared tube number with its holders: reference, attendee id, site, when the
    sample was recorded and the booking's time (the site's local time)."""
    for group in shared:
        click.echo(f"{group.tube or '(no letters or digits)'}: {len(group.holders)} people")
        for holder in group.holders:
            click.echo(f"  {holder.reference}  attendee {holder.attendee_id}  {holder.site_name}  "
                       f"sample recorded {local_text(holder.sample_taken_at, holder.site_timezone)}  "
                       f"(booked for {local_text(holder.slot_starts_at, holder.site_timezone)})  "
                       f"stored as {holder.stored!r}")


def register(app: Flask) -> None:
    """Add this area's commands to the app's CLI."""

    @app.cli.command("import-sites")
    @click.argument("sites_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--province", default="", help="The province of rows without one (the file may then have no "
                  "province column), as published: 江苏省.")
    @click.option("--city", default="", help="The city of rows without one (the file may then have no city "
                  "column), as published: 南通市.")
    def import_sites_command(sites_file: Path, province: str, city: str) -> None:
        """Load sampling sites from a published list: .xlsx, or .csv in UTF-8 (with or without a
        BOM) or GBK, with English or Chinese headers (name/单位名称, city/所属城市, province/省份,
        weekday_hours/工作时间, address/地址, contact_person/联系人, phone/联系电话, fee/收费,
        notes/备注, source/来源). Sites already present (same province and name) are left unchanged."""
        try:
            result = import_sites(sites_file, timezone=current_app.config["SETTINGS"].site_timezone,
                                  province=province, city=city)
        except SiteFileError as exc:
            db.session.rollback()
            with force_locale("en"):
                raise click.ClickException(str(exc.message)) from exc
        opened = sum(open_site_slots(site) for site in result.created)
        db.session.commit()
        report_import(result)
        click.echo(f"Opened {opened} new slots at the new sites, up to each site's booking horizon.")
        if result.rejected:
            # The good rows are loaded; the exit code still tells a script that some were not.
            raise SystemExit(1)

    @app.cli.group("tube-numbers")
    def tube_numbers() -> None:
        """Tube numbers saved for more than one person (before the database made them unique)."""

    @tube_numbers.command("duplicates")
    def duplicates_command() -> None:
        """List every tube number saved for more than one person, with each person's booking
        reference, attendee id, site and time. Exit status 1 while there are any."""
        shared = find_shared_tube_numbers()
        if not shared:
            click.echo("No tube number is saved for more than one person.")
            return
        report_shared(shared)
        click.echo(f"{len(shared)} tube number(s) to resolve, one person at a time, with a reason:")
        click.echo(RESOLVE_USAGE)
        raise SystemExit(1)

    @tube_numbers.command("resolve")
    @click.argument("attendee_id", type=int)
    @click.option("--set", "new_number", default=None, help="The person's right tube number, as on the tube.")
    @click.option("--clear", is_flag=True, help="Remove the person's tube number (the desk can record a new one).")
    @click.option("--reason", required=True, help="Why: kept as an internal note on the booking.")
    @click.option("--by", "by_username", required=True, help="Your staff username (named in the audit log).")
    def resolve_command(attendee_id: int, new_number: str | None, clear: bool, reason: str, by_username: str) -> None:
        """Resolve one person of a shared tube number: --set their right number, or --clear it.
        Audited, with the reason kept as an internal note on the booking."""
        if clear == (new_number is not None):
            raise click.UsageError("give either --set NEW_NUMBER or --clear")
        try:
            # The note is read by staff on the booking's page: in the portal's default language.
            with force_locale("zh"):
                holder = resolve_shared_tube_number(attendee_id, new_number=new_number, reason=reason,
                                                    by_username=by_username)
        except ResolveRefused as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from exc
        db.session.commit()
        done = "cleared" if clear else "set"
        click.echo(f"Attendee {attendee_id} ({holder.reference}): tube number {done}; "
                   "the reason is kept as a note on the booking, and the change is in the audit log.")
        left = len(find_shared_tube_numbers())
        click.echo(f"{left} shared tube number(s) left." if left else
                   "No tube number is shared any more (if `flask db upgrade` refused, run it again).")


def _count(number: int, noun: str) -> str:
    """"1 row", "2 rows": the command's English output (a command line tool's, not translated)."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
