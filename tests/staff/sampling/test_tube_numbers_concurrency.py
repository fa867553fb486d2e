"""Two sampling desks saving the same tube number for two different people at the same instant,
on PostgreSQL, with real threads: exactly one saves it, the other is shown the refusal naming the
booking that holds it. (The same refusal without concurrency, on SQLite too, is in
test_tube_numbers.py.)"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from portal.core.extensions import db
from portal.core.models import Appointment, Attendee, AuditEvent, OutboundMessage
from portal.sampling import samples
from portal.sampling.notices import CHECKED_IN_PURPOSE
from tests.support.factories import create_site
from tests.support.helpers import csrf_token, run_together, get_page
from tests.support.tubes import EN, checked_in_family, desk_staff, page_text, signed_in, today_slot

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def test_two_desks_saving_one_tube_number_for_two_people_at_the_same_instant_save_it_once(app):
    site = create_site()
    desk_staff(site, "desk-a")
    desk_staff(site, "desk-b")
    slot = today_slot(site, capacity=20)
    rounds = 5
    # Per round, one family for each desk: (reference, attendee id).
    families = [[(family.item.reference, family.attendees[0].id) for family in
                 (checked_in_family(slot, people=1, serial=2 * n + desk) for desk in (1, 2))] for n in range(rounds)]
    desks = [signed_in(app.test_client(), "desk-a"), signed_in(app.test_client(), "desk-b")]

    for round_number, pair in enumerate(families):
        tube = f"NT20261207-{round_number:03d}"
        posts = []
        for desk, (reference, attendee_id) in zip(desks, pair):
            page, _ = get_page(desk, f"/staff/sampling/appointments/{reference}", headers=EN)
            posts.append((f"/staff/sampling/appointments/{reference}/samples",
                          {"csrf_token": csrf_token(page.get_data(as_text=True)), f"tube-{attendee_id}": tube}))
        db.session.remove()
        answers: list = [None, None]

        def save(index: int) -> None:
            url, data = posts[index]  # noqa: B023  (the threads finish within this round)
            answers[index] = desks[index].post(url, data=data, headers=EN)  # noqa: B023

        run_together(2, save)

        codes = sorted(answer.status_code for answer in answers)
        assert codes == [200, 303], codes
        winner = next(i for i, answer in enumerate(answers) if answer.status_code == 303)
        loser = 1 - winner
        refusal = page_text(answers[loser])
        held_by = pair[winner][0]
        assert f"{tube.replace('-', '')} is already the tube number of someone on booking {held_by}." in refusal
        # The refused desk's page still shows what it typed.
        assert f'value="{tube}"' in answers[loser].get_data(as_text=True)
        holders = db.session.scalar(select(func.count()).select_from(Attendee)
                                    .where(Attendee.sample_tube_number == tube.replace("-", "")))
        assert holders == 1


def test_a_desk_whose_check_passed_before_the_other_desk_committed_is_refused_by_the_database(app):
    """The race the desk's own check cannot see: desk A has written the number but not committed;
    desk B's check finds nobody, its write waits on the unique index, A commits, and B's
    IntegrityError (caught in a savepoint) becomes the same refusal."""
    site = create_site()
    slot = today_slot(site)
    first, second = checked_in_family(slot, people=1, serial=1), checked_in_family(slot, people=1, serial=2)
    first_id, second_id = first.id, second.id
    first_person, second_person, first_item = first.attendees[0].id, second.attendees[0].id, first.item_id
    db.session.remove()
    a_wrote, b_backend = threading.Event(), []
    outcome: dict = {}

    def desk_a() -> None:
        with app.app_context():
            samples.record_samples(db.session.get(Appointment, first_id), {first_person: "NT-9"},
                                   actor_id=None)  # type: ignore[arg-type]
            a_wrote.set()
            outcome["b_waited"] = False
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not outcome["b_waited"]:
                if b_backend:
                    with db.engine.connect() as probe:
                        outcome["b_waited"] = probe.scalar(text(
                            "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = :pid"),
                            {"pid": b_backend[0]}) or False
                time.sleep(0.02)
            db.session.commit()
            db.session.remove()

    def desk_b() -> None:
        a_wrote.wait(20)
        with app.app_context():
            b_backend.append(db.session.scalar(text("SELECT pg_backend_pid()")))
            try:
                samples.record_samples(db.session.get(Appointment, second_id), {second_person: "nt 9"},
                                       actor_id=None)  # type: ignore[arg-type]
                db.session.commit()
                outcome["b"] = "saved"
            except samples.TubeNumbersRefused as refused:
                db.session.rollback()
                outcome["b"] = refused
            finally:
                db.session.remove()

    threads = [threading.Thread(target=desk_a), threading.Thread(target=desk_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert outcome["b_waited"], "desk B never waited on the unique index"
    refused = outcome["b"]
    assert isinstance(refused, samples.TubeNumbersRefused), refused
    assert isinstance(refused.__cause__, IntegrityError)
    problem = refused.problems[second_person]
    assert isinstance(problem, samples.TubeNumberInUse) and problem.item_id == first_item
    tubes = dict(db.session.execute(select(Attendee.id, Attendee.sample_tube_number)
                                    .where(Attendee.id.in_([first_person, second_person]))).all())
    assert tubes == {first_person: "NT9", second_person: None}


def test_two_desks_saving_different_tubes_for_one_person_at_the_same_instant_save_one_and_tell_the_other(app):
    """Also a form posted twice at the same instant (the same tube): one save, one SMS, one audit event."""
    site = create_site()
    desk_staff(site, "desk-a")
    desk_staff(site, "desk-b")
    slot = today_slot(site, capacity=20)
    rounds = 4
    families = [checked_in_family(slot, people=1, serial=n + 1) for n in range(rounds)]
    people = [(family.item.reference, family.attendees[0].id, family.item_id) for family in families]
    desks = [signed_in(app.test_client(), "desk-a"), signed_in(app.test_client(), "desk-b")]

    for round_number, (reference, person, item_id) in enumerate(people):
        same_form = round_number % 2 == 1
        tubes = [f"NT-{round_number}-A", f"NT-{round_number}-A" if same_form else f"NT-{round_number}-B"]
        posts = []
        for desk, tube in zip(desks, tubes):
            page, _ = get_page(desk, f"/staff/sampling/appointments/{reference}", headers=EN)
            posts.append((f"/staff/sampling/appointments/{reference}/samples",
                          {"csrf_token": csrf_token(page.get_data(as_text=True)), f"tube-{person}": tube}))
        db.session.remove()
        answers: list = [None, None]

        def save(index: int) -> None:
            url, data = posts[index]  # noqa: B023  (the threads finish within this round)
            answers[index] = desks[index].post(url, data=data, headers=EN)  # noqa: B023

        run_together(2, save)

        assert sorted(answer.status_code for answer in answers) == [200, 303]
        winner = next(i for i, answer in enumerate(answers) if answer.status_code == 303)
        saved = tubes[winner].replace("-", "")
        assert (f"This person already has tube number {saved}. To change it, use Correct the tube number below."
                in page_text(answers[1 - winner]))
        assert db.session.scalar(select(Attendee.sample_tube_number).where(Attendee.id == person)) == saved
        events = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.item_id == item_id, AuditEvent.action == "samples_recorded"))
        sms = db.session.scalar(select(func.count()).select_from(OutboundMessage).where(
            OutboundMessage.item_id == item_id, OutboundMessage.purpose == CHECKED_IN_PURPOSE))
        assert (events, sms) == (1, 1)
        db.session.remove()
