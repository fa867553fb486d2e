"""`flask --app wsgi ...` commands of this area: creating staff accounts."""

from __future__ import annotations

import click
from flask import Flask, current_app
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import SamplingSite, WorkingGroup
from portal.core.permissions import Role
from portal.staff.accounts import AccountError, create_staff_user
from portal.triage.redaction import run_retention


def register(app: Flask) -> None:
    """Add this area's commands to the app's CLI."""

    app.cli.add_command(create_staff)
    app.cli.add_command(retention)


@click.command("create-staff")
@click.option("--username", required=True, help="The name the person signs in with.")
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]), help="What the account may do.")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Asked for twice, hidden, when not given (giving it here leaves it in the shell history).",
)
@click.option("--group", "group_name", default=None, help="Working group (created if new), for group members.")
@click.option("--site", "site_ids", type=int, multiple=True, help="Sampling site id, for site staff (repeatable).")
@click.option(
    "--totp-secret",
    default=None,
    help="Base32 two-factor secret, for scripted set-ups (the account is then enrolled); "
    "without it the person scans a QR code at their first sign-in.",
)
def create_staff(
    username: str, role: str, password: str, group_name: str | None, site_ids: tuple[int, ...], totp_secret: str | None
) -> None:
    """Create a staff account."""
    username = username.strip()
    if not username or len(username) > 80:
        raise click.ClickException("the username must be 1 to 80 characters")
    try:
        user = create_staff_user(username, password, Role(role), totp_secret=totp_secret)
    except AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    if group_name:
        group = db.session.scalar(select(WorkingGroup).where(WorkingGroup.name == group_name))
        if group is None:
            group = WorkingGroup(name=group_name)
            db.session.add(group)
            click.echo(f"Created working group {group_name!r}.")
        user.working_group = group
    for site_id in site_ids:
        site = db.session.get(SamplingSite, site_id)
        if site is None:
            db.session.rollback()
            raise click.ClickException(f"there is no sampling site with id {site_id}")
        user.sites.append(site)
    db.session.commit()
    extra = ""
    if user.working_group is not None:
        extra += f", working group {user.working_group.name!r}"
    if site_ids:
        extra += f", sites {', '.join(map(str, site_ids))}"
    click.echo(f"Created staff account {user.username!r} with role {role}{extra}.")
    if totp_secret is None:
        click.echo("Two-step sign-in: the person scans a QR code with an authenticator app at their first sign-in.")
    if role == Role.GROUP_MEMBER and user.working_group is None:
        click.echo("Warning: a group member sees only their working group's items; give one with --group.", err=True)
    if role == Role.SITE_STAFF and not site_ids:
        click.echo("Warning: site staff see only their sites' appointments; give them with --site ID.", err=True)


@click.command("retention")
@click.option("--days", type=int, default=None,
              help="Erase after this many days closed (default: RETENTION_DAYS, 90).")
def retention(days: int | None) -> None:
    """Erase the personal details of items closed as not substantiated or spam long enough ago.

    Meant to run once a day (cron or a systemd timer). The figures stay; each erasure is audited.
    """
    days = days if days is not None else current_app.config["SETTINGS"].retention_days
    if days < 1:
        raise click.ClickException("--days must be at least 1")
    erased = run_retention(days)
    click.echo(f"Erased the personal details of {erased} item(s) closed as not substantiated or spam over {days} days ago.")
