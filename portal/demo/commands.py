"""`flask --app wsgi ...` commands of this area: `demo-data`."""

from __future__ import annotations

import os

import secrets

import click
from flask import Flask, current_app
from sqlalchemy import func, select

from portal.core.config import ROOT
from portal.core.extensions import db
from portal.core.models import SamplingSite, Slot, WorkingGroup
from portal.core.permissions import Role
from portal.sampling.commands import report_import
from portal.sampling.importer import import_sites
from portal.sampling.slots import open_slots_ahead
from portal.staff.accounts import create_staff_user, set_sites
from portal.staff.totp import new_secret as new_totp_secret

DEMO_SITES_CSV = ROOT / "portal" / "demo" / "sampling-sites-nantong-2021.csv"
DEMO_USERNAME = "demo-admin"
# Working groups (专班) that accepted leads are assigned to; a real deployment names its own.
DEMO_WORKING_GROUPS = ("南通市公安局打拐专班", "海门区公安分局打拐专班")
# A team to try what depends on roles and groups (a view shared with one's group, a bulk action
# refused for another group's item): (username, role, index in DEMO_WORKING_GROUPS or None).
# They share the admin's password and two-step key, printed once: demo only.
DEMO_TEAM = (
    ("demo-officer", Role.TRIAGE_OFFICER, None),
    ("demo-member-1", Role.GROUP_MEMBER, 0),
    ("demo-member-2", Role.GROUP_MEMBER, 0),
    ("demo-member-3", Role.GROUP_MEMBER, 1),
    ("demo-supervisor", Role.SUPERVISOR, None),
    ("demo-site", Role.SITE_STAFF, None),
)
# The sampling site each site-staff account of DEMO_TEAM works at (its desk, its closure proposals).
DEMO_SITE_STAFF_SITES = {"demo-site": "通州区公安局城南派出所"}


def load_demo_data() -> tuple[int, str, str]:
    """Import the Nantong sites, open their slots for each site's booking horizon, add the demo
    working groups (DEMO_WORKING_GROUPS) that accepted leads are assigned to, and give the
    demo admin account and its team (DEMO_TEAM: a triage officer, three group members in two
    groups, a supervisor, a site-staff account at the site DEMO_SITE_STAFF_SITES names) one fresh
    password and two-factor secret. Idempotent apart from those.
    Returns (slots created now, the new password, the new TOTP secret); the caller commits."""
    settings = current_app.config["SETTINGS"]
    report_import(import_sites(DEMO_SITES_CSV, timezone=settings.site_timezone))
    created = open_slots_ahead()
    existing = set(db.session.scalars(select(WorkingGroup.name)))
    db.session.add_all(WorkingGroup(name=name) for name in DEMO_WORKING_GROUPS if name not in existing)
    password = secrets.token_urlsafe(12)
    totp_secret = new_totp_secret()
    create_staff_user(DEMO_USERNAME, password, Role.ADMIN, replace_password=True, totp_secret=totp_secret)
    db.session.flush()
    groups = {name: group_id for group_id, name in db.session.execute(select(WorkingGroup.id, WorkingGroup.name))}
    for username, role, group in DEMO_TEAM:
        account = create_staff_user(username, password, role, replace_password=True, totp_secret=totp_secret)
        account.working_group_id = groups[DEMO_WORKING_GROUPS[group]] if group is not None else None
        site_name = DEMO_SITE_STAFF_SITES.get(username)
        if site_name is not None:
            set_sites(account, [db.session.scalars(select(SamplingSite.id).where(SamplingSite.name == site_name)).one()])
    return created, password, totp_secret


def _team_member_line(username: str, role: Role, group: int | None) -> str:
    """One DEMO_TEAM account as the run output lists it: "demo-member-1 (group_member, <group>)"."""
    where = DEMO_WORKING_GROUPS[group] if group is not None else DEMO_SITE_STAFF_SITES.get(username)
    return f"{username} ({role.value}{', ' + where if where else ''})"


def register(app: Flask) -> None:
    """Add this area's commands to the app's CLI."""

    @app.cli.command("demo-data")
    def demo_data_command() -> None:
        """Load demo data: the published Nantong sampling sites with slots, and a demo admin account.

        Refused with PORTAL_ENV=production (exit code 1, nothing written): it would create an
        admin account and print its password.
        """
        if current_app.config["SETTINGS"].is_production:
            raise click.ClickException(
                "demo-data does not run with PORTAL_ENV=production: it creates an admin account and prints its "
                "password. Nothing was changed. Create real staff accounts with create-staff, and load "
                "sampling sites with import-sites."
            )
        created, password, totp_secret = load_demo_data()
        db.session.commit()
        sites = db.session.scalar(select(func.count()).select_from(SamplingSite))
        slots = db.session.scalar(select(func.count()).select_from(Slot))
        click.echo(f"Demo data: {sites} sampling sites, {slots} slots ({created} new), "
                   f"working groups: {', '.join(DEMO_WORKING_GROUPS)}.")
        click.echo("")
        port = os.environ.get("PORT", "5000")
        click.echo(f"Staff sign-in: http://127.0.0.1:{port}/staff/login")
        click.echo(f"  username: {DEMO_USERNAME}")
        click.echo(f"  password: {password}")
        click.echo(f"  two-step sign-in key: {totp_secret}")
        click.echo("  (add the key to an authenticator app, or print the current code with")
        click.echo(f"   .venv/bin/python -c \"import pyotp; print(pyotp.TOTP('{totp_secret}').now())\")")
        click.echo("  The same password and key sign in the demo team too: "
                   + ", ".join(_team_member_line(name, role, group) for name, role, group in DEMO_TEAM) + ".")
        click.echo("(A new password and key are set each time this command runs.)")
