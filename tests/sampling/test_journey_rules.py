"""The web booking journey's rules (portal.sampling.journey), as plain functions of the answers:
no request, no database. The pages that follow them are covered by tests/web/sampling/test_pages.py."""

from __future__ import annotations

from datetime import date

from portal.core.models import ApplicantRole
from portal.sampling import journey

PARENT = ApplicantRole.PARENT.value
AGENCY = ApplicantRole.AGENCY.value
PERSON = {"name": "王芳", "relationship": PARENT, "document_type": "resident_id", "document_number": "x"}


def test_an_agency_skips_the_page_about_the_person_looked_for() -> None:
    assert journey.next_step("who", {"role": AGENCY}) == "attendees"
    assert not journey.applies("about", {"role": AGENCY})


def test_a_family_is_asked_about_the_person_looked_for() -> None:
    assert journey.next_step("who", {"role": PARENT}) == "about"
    assert [journey.next_step(step, {"role": PARENT}) for step in ("about", "attendees", "time", "consent")] == [
        "attendees", "time", "consent", "check"]


def test_the_first_missing_answer_is_looked_for_only_before_the_page_asked() -> None:
    assert journey.first_missing({}, "who") is None
    assert journey.first_missing({}, "check") == "who"
    assert journey.first_missing({"role": PARENT}, "check") == "about"
    assert journey.first_missing({"role": PARENT, "case": {"missing_name": "李"}}, "attendees") is None
    assert journey.first_missing({"role": AGENCY}, "check") == "attendees"


def test_a_party_made_bigger_after_the_people_were_named_must_name_the_new_people() -> None:
    answers = {"role": PARENT, "case": {"missing_name": "李"}, "attendees": [PERSON], "party_size": 2}
    assert journey.first_missing(answers, "time") == "attendees"
    assert journey.first_missing({**answers, "party_size": 1}, "time") is None


def test_the_party_size_counts_the_people_named_and_an_agency_brings_one() -> None:
    assert journey.party_size({"role": PARENT, "party_size": 3}) == 3
    assert journey.party_size({"role": PARENT, "party_size": 3, "attendees": [PERSON, PERSON]}) == 2
    assert journey.party_size({"role": AGENCY, "party_size": 3}) == 1
    assert journey.party_size({}) == 1


def test_an_agency_brings_one_person_whose_identity_is_unknown() -> None:
    people = journey.people_from({"role": AGENCY, "agency": {"person_age": 35, "person_sex": "male",
                                                            "cared_for_at": "福利院"}})
    assert len(people) == 1 and people[0].identity_unknown and people[0].age_on(date(2030, 1, 1)) == 35
