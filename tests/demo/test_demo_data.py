"""`flask demo-data`: the published Nantong sites with slots and a demo admin account, idempotently."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from portal.core.extensions import db
from portal.core.models import SamplingSite, Slot, StaffUser
from portal.staff.auth import check_password


def count(model) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count()).select_from(model))


def test_demo_data_twice_leaves_seven_sites_the_same_slots_and_prints_fresh_credentials(app):
    runner = app.test_cli_runner()

    first = runner.invoke(args=["demo-data"])
    assert first.exit_code == 0, first.output
    sites, slots = count(SamplingSite), count(Slot)
    second = runner.invoke(args=["demo-data"])
    assert second.exit_code == 0, second.output

    assert sites == count(SamplingSite) == 7
    assert slots == count(Slot) > 0
    assert slots % 24 == 0  # 24 twenty-minute slots per open weekday, 09:00–17:00
    assert {s.capacity for s in db.session.scalars(select(Slot))} == {3}
    for output in (first.output, second.output):
        assert "http://127.0.0.1:5000/staff/login" in output
        assert "username: demo-admin" in output
        assert f"7 sampling sites, {slots} slots" in output
    passwords = [re.search(r"password: (\S+)", output).group(1) for output in (first.output, second.output)]
    assert passwords[0] != passwords[1]
    admin = db.session.scalars(select(StaffUser).where(StaffUser.username == "demo-admin")).one()
    assert admin.role == "admin" and admin.active
    assert check_password(admin, passwords[1]) and not check_password(admin, passwords[0])
    # The demo account is enrolled in two-step sign-in with the key it prints, fresh each run.
    keys = [re.search(r"two-step sign-in key: ([A-Z2-7]+)", output).group(1) for output in (first.output, second.output)]
    assert keys[0] != keys[1] and admin.totp_secret == keys[1] and admin.totp_enrolled_at is not None


def test_demo_data_adds_working_groups_once_so_a_lead_can_be_assigned_on_a_fresh_install(app):
    from portal.core.models import WorkingGroup
    from portal.demo.commands import DEMO_WORKING_GROUPS

    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["demo-data"])
        assert result.exit_code == 0 and DEMO_WORKING_GROUPS[0] in result.output
    assert sorted(db.session.scalars(select(WorkingGroup.name))) == sorted(DEMO_WORKING_GROUPS)


def test_demo_data_refuses_to_run_in_production_and_writes_nothing(app):
    from portal.app import create_app
    from portal.core.config import Settings
    from tests.support.settings import GOOD_PRODUCTION

    production = create_app(settings=Settings.from_env(
        {**GOOD_PRODUCTION, "DATABASE_URL": app.config["SETTINGS"].database_url}))

    with production.app_context():  # the command runs in this app's context, not the test app's
        result = production.test_cli_runner().invoke(args=["demo-data"])
        db.session.remove()
        db.engine.dispose()

    assert result.exit_code == 1, result.output
    assert "demo-data does not run with PORTAL_ENV=production" in result.output
    assert "password:" not in result.output
    db.session.expire_all()
    assert count(SamplingSite) == count(Slot) == count(StaffUser) == 0


def test_demo_data_makes_a_team_in_two_groups_that_signs_in_with_the_printed_password_and_key(app):
    from portal.core.models import WorkingGroup
    from portal.demo.commands import DEMO_WORKING_GROUPS

    runner = app.test_cli_runner()
    runner.invoke(args=["demo-data"])
    output = runner.invoke(args=["demo-data"]).output  # run twice: the team is kept, its password renewed

    password = re.search(r"password: (\S+)", output).group(1)
    key = re.search(r"two-step sign-in key: ([A-Z2-7]+)", output).group(1)
    groups = {group.id: group.name for group in db.session.scalars(select(WorkingGroup))}
    team = {user.username: (user.role, groups.get(user.working_group_id))
            for user in db.session.scalars(select(StaffUser).where(StaffUser.username != "demo-admin"))}
    assert team == {
        "demo-officer": ("triage_officer", None),
        "demo-member-1": ("group_member", DEMO_WORKING_GROUPS[0]),
        "demo-member-2": ("group_member", DEMO_WORKING_GROUPS[0]),
        "demo-member-3": ("group_member", DEMO_WORKING_GROUPS[1]),
        "demo-supervisor": ("supervisor", None),
        "demo-site": ("site_staff", None),
    }
    for user in db.session.scalars(select(StaffUser)):
        assert check_password(user, password) and user.totp_secret == key and user.active
        assert user.username in output


def test_demo_data_gives_the_site_staff_account_one_nantong_site_and_lists_it_in_the_output(app):
    runner = app.test_cli_runner()
    runner.invoke(args=["demo-data"])
    output = runner.invoke(args=["demo-data"]).output  # run twice: the site is kept, not doubled

    site_staff = db.session.scalars(select(StaffUser).where(StaffUser.username == "demo-site")).one()
    assert [site.name for site in site_staff.sites] == ["通州区公安局城南派出所"]
    assert "demo-site (site_staff, 通州区公安局城南派出所)" in output
    assert "demo-officer (triage_officer)" in output
