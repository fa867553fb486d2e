"""Migration 0012 (unique tube numbers) over a database that already holds shared tube numbers:
it refuses, names them and changes nothing; `flask tube-numbers duplicates` lists them and
`flask tube-numbers resolve` fixes them one person at a time with a reason, audited, on that
database still at revision 0011 (where the application, public pages included, runs: the sites'
label columns came before); then the upgrade applies and normalises what was typed.

Runs on its own empty database (a fresh SQLite file, or a fresh PostgreSQL schema), like
test_migrations.py.
"""

from __future__ import annotations


import pytest
from flask_migrate import upgrade
from sqlalchemy import inspect, insert, select, text

from portal.app import create_app
from portal.core.extensions import db
from portal.core.models import (
    Attendee,
    AuditEvent,
    ItemNote,
    RetiredTubeNumber,
    staff_site,
)
from portal.core.permissions import Role
from tests.support.database import fresh_database_url
from tests.support.old_schema import old_booking, old_staff, old_table
from tests.support.settings import make_settings



def _revision() -> str:
    return db.session.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


def test_an_upgrade_over_shared_tube_numbers_is_refused_naming_them_and_applies_once_they_are_resolved(tmp_path):
    url, drop = fresh_database_url(tmp_path)
    app = create_app({"TESTING": True}, settings=make_settings(url))
    cli = app.test_cli_runner()
    try:
        with app.app_context():
            upgrade(revision="0011")
            site_id = db.session.execute(insert(old_table("sampling_site")).values(
                province="江苏省", name="南通市公安局", city="南通市", timezone="Asia/Shanghai", slot_minutes=20,
                places_per_slot=3, active=True, booking_horizon_days=60, minimum_notice_minutes=60,
            )).inserted_primary_key[0]
            # The case: one tube number saved for one person, then for both people of a walk-in.
            first = old_booking(site_id, "TY-PXFX-VN8C", ["NT20261207-001"], 20)
            walk_in = old_booking(site_id, "TY-W8K5-X6N5", ["nt20261207 001", "ＮＴ２０２６１２０７－００１"], 40)
            other = old_booking(site_id, "TY-2345-6789", ["NT-0009", "-"], 50)
            db.session.commit()
            desk = old_staff("desk", Role.SITE_STAFF)
            db.session.execute(staff_site.insert().values(staff_user_id=desk, site_id=site_id))
            old_staff("watcher", Role.SUPERVISOR)
            old_staff("elsewhere", Role.SITE_STAFF)  # works at no site of these bookings
            db.session.commit()

            with pytest.raises(RuntimeError) as refused_upgrade:
                upgrade.__wrapped__()  # Flask-Migrate's upgrade without its catch-and-exit wrapper
            db.session.rollback()
            refusal = str(refused_upgrade.value)
            command = cli.invoke(args=["db", "upgrade"])  # what an operator sees: the list, exit status 1
            assert command.exit_code == 1 and "TY-PXFX-VN8C" in command.output, command.output
            assert "Migration 0012 (unique tube numbers) was not applied" in refusal
            assert "NT20261207001:" in refusal and "(no letters or digits):" in refusal
            for reference, attendee_id in (("TY-PXFX-VN8C", first[0]), ("TY-W8K5-X6N5", walk_in[0]),
                                           ("TY-W8K5-X6N5", walk_in[1]), ("TY-2345-6789", other[1])):
                assert f"{reference}  attendee {attendee_id}  南通市公安局  sample recorded 2026-12-07 09:" in refusal
            assert f"attendee {other[0]} " not in refusal  # NT-0009 is nobody else's
            assert _revision() == "0011"  # nothing applied, nothing changed
            # The tube-number commands below run on the database as it is (later migrations add
            # columns the web pages read, so the pages wait for the upgrade; the commands do not).
            assert "uq_attendee_sample_tube_number" not in {i["name"] for i in inspect(db.engine).get_indexes("attendee")}
            stored = db.session.scalar(select(Attendee.sample_tube_number).where(Attendee.id == walk_in[0]))
            assert stored == "nt20261207 001"

            listed = cli.invoke(args=["tube-numbers", "duplicates"])
            assert listed.exit_code == 1
            assert "NT20261207001: 3 people" in listed.output and "TY-W8K5-X6N5" in listed.output

            refused = cli.invoke(args=["tube-numbers", "resolve", str(walk_in[0]), "--set", "NT-0009",
                                       "--reason", "贴错标签", "--by", "desk"])
            assert refused.exit_code != 0 and "NT0009 is already the tube number of someone on TY-2345-6789" \
                in refused.output
            refused = cli.invoke(args=["tube-numbers", "resolve", str(other[0]), "--clear", "--reason", "x",
                                       "--by", "desk"])
            assert refused.exit_code != 0 and "holds no tube number shared with anyone" in refused.output
            refused = cli.invoke(args=["tube-numbers", "resolve", str(walk_in[0]), "--clear", "--reason", " ",
                                       "--by", "desk"])
            assert refused.exit_code != 0 and "give the reason" in refused.output
            refused = cli.invoke(args=["tube-numbers", "resolve", str(walk_in[0]), "--clear", "--reason", "x",
                                       "--by", "nobody"])
            assert refused.exit_code != 0 and "no active staff account 'nobody'" in refused.output

            for args in ([str(walk_in[0]), "--set", "NT20261207-002"], [str(walk_in[1]), "--clear"],
                         [str(other[1]), "--clear"]):
                done = cli.invoke(args=["tube-numbers", "resolve", *args, "--reason", "两人共用一支管，已核对实物",
                                        "--by", "desk"])
                assert done.exit_code == 0, done.output
            assert "No tube number is shared any more" in done.output
            assert cli.invoke(args=["tube-numbers", "duplicates"]).exit_code == 0

            db.session.expire_all()
            events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "tube_number_corrected")).all()
            assert len(events) == 3 and all(e.actor_id is not None for e in events)
            assert sorted(int(e.changes["attendee_id"][0]) for e in events) == sorted([walk_in[0], walk_in[1], other[1]])
            assert not any("NT" in str(e.changes) + str(e.fields) for e in events)
            # NT20261207001 is still the first booking's: not retired while someone holds it.
            assert db.session.scalars(select(RetiredTubeNumber.tube_number)).all() == []
            notes = db.session.scalars(select(ItemNote.body)).all()
            assert len(notes) == 3 and all("两人共用一支管，已核对实物" in note for note in notes)

            db.session.rollback()  # the test's reads hold no lock the migration waits for (PostgreSQL)
            upgrade()  # to the newest revision, as a deployment does
            assert _revision() >= "0012"
            db.session.expire_all()
            tubes = dict(db.session.execute(select(Attendee.id, Attendee.sample_tube_number)).all())
            assert tubes[first[0]] == "NT20261207001" and tubes[walk_in[0]] == "NT20261207002"
            assert tubes[walk_in[1]] is None and tubes[other[0]] == "NT0009" and tubes[other[1]] is None
            assert "uq_attendee_sample_tube_number" in {i["name"] for i in inspect(db.engine).get_indexes("attendee")}
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()


def test_resolving_a_shared_tube_number_is_refused_for_accounts_that_may_not_correct_tube_numbers(tmp_path):
    url, drop = fresh_database_url(tmp_path)
    app = create_app({"TESTING": True}, settings=make_settings(url))
    cli = app.test_cli_runner()
    try:
        with app.app_context():
            upgrade(revision="0011")
            site_id = db.session.execute(insert(old_table("sampling_site")).values(
                province="江苏省", name="南通市公安局", city="南通市", timezone="Asia/Shanghai", slot_minutes=20,
                places_per_slot=3, active=True, booking_horizon_days=60, minimum_notice_minutes=60,
            )).inserted_primary_key[0]
            other_site = db.session.execute(insert(old_table("sampling_site")).values(
                province="江苏省", name="如皋市公安局", city="如皋市", timezone="Asia/Shanghai", slot_minutes=20,
                places_per_slot=3, active=True, booking_horizon_days=60, minimum_notice_minutes=60,
            )).inserted_primary_key[0]
            shared = old_booking(site_id, "TY-W8K5-X6N5", ["NT-1", "nt 1"], 40)
            old_staff("watcher", Role.SUPERVISOR)
            elsewhere = old_staff("elsewhere", Role.SITE_STAFF)
            db.session.execute(staff_site.insert().values(staff_user_id=elsewhere, site_id=other_site))
            old_staff("boss", Role.ADMIN)
            db.session.commit()

            for username, words in (("watcher", "may not correct tube numbers"),
                                    ("elsewhere", "does not work at this person's site")):
                refused = cli.invoke(args=["tube-numbers", "resolve", str(shared[1]), "--clear", "--reason", "x",
                                           "--by", username])
                assert refused.exit_code != 0 and words in refused.output, refused.output
            assert cli.invoke(args=["tube-numbers", "duplicates"]).exit_code == 1  # nothing changed
            done = cli.invoke(args=["tube-numbers", "resolve", str(shared[1]), "--clear", "--reason", "两人共用",
                                    "--by", "boss"])
            assert done.exit_code == 0, done.output
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()
