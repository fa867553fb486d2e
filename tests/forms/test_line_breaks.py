"""A length limit counts a line break once, as the browser's `maxlength` and the person do: browsers
send a textarea's line breaks as CRLF, and the server used to count two characters for each. The
error says how many characters to remove."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import Tip
from tests.support.helpers import post_form, text_of
from tests.support.tips import EN, ZH, answer_page, errors_on, fill_journey

LINE_BREAKS = 60


def typed_with_line_breaks(length: int, breaks: int = LINE_BREAKS) -> str:
    """Text of `length` characters as the browser counts them (each line break one), sent with
    `breaks` CRLF line breaks, as a browser sends a textarea."""
    lines = [""] * (breaks + 1)
    for index in range(length - breaks):
        lines[index % (breaks + 1)] += "看"
    text = "\r\n".join(lines)
    assert len(text.replace("\r\n", "\n")) == length and text.count("\r\n") == breaks
    return text


def test_a_description_of_exactly_5000_characters_with_line_breaks_is_accepted_and_kept_with_them(client):
    description = typed_with_line_breaks(5000)
    fill_journey(client, EN, description=description)
    assert answer_page(client, "/tips/report/check", {}, EN).status_code == 303
    tip = db.session.scalars(select(Tip)).one()
    assert tip.description == description.replace("\r\n", "\n")
    assert len(tip.description) == 5000 and tip.description.count("\n") == LINE_BREAKS


@pytest.mark.parametrize(("over", "headers", "message"), [
    (1, EN, "What you saw must be 5,000 characters or fewer. Remove 1 character"),
    (12, EN, "What you saw must be 5,000 characters or fewer. Remove 12 characters"),
    (12, ZH, "您看到的情况请不要超过5000字。请删去12个字"),
])
def test_a_description_over_the_limit_says_how_many_characters_to_remove(client, over, headers, message):
    answer_page(client, "/tips/report", {"child_in_danger": "no"}, headers)
    description = typed_with_line_breaks(5000 + over)
    response = answer_page(client, "/tips/report/what", {"category": "other", "description": description}, headers)
    assert response.status_code == 200
    assert any(message in error for error in errors_on(response)), errors_on(response)
    # What was typed is shown again whole, its line breaks as the browser will send them again.
    assert description.replace("\r\n", "\n") in response.get_data(as_text=True)


def seeking_family(client) -> None:
    response = post_form(client, "/sampling/who", {"role": "seeking_birth_family", "party_size": "1"}, headers=EN)
    assert response.status_code == 302


@pytest.mark.parametrize("length", [1990, 2000])
def test_what_you_remember_up_to_2000_characters_with_60_line_breaks_is_accepted(client, length):
    seeking_family(client)
    response = post_form(client, "/sampling/about", {
        "remembered": typed_with_line_breaks(length), "missing_born": "1990", "sampled_before": "no"}, headers=EN)
    assert response.status_code == 302, errors_on(response)
    assert response.headers["Location"].endswith("/sampling/attendees")


def test_what_you_remember_at_2001_characters_with_line_breaks_says_to_remove_one(client):
    seeking_family(client)
    response = post_form(client, "/sampling/about", {
        "remembered": typed_with_line_breaks(2001), "missing_born": "1990", "sampled_before": "no"}, headers=EN)
    assert response.status_code == 200
    assert "Keep it to 2,000 characters or fewer. Remove 1 character" in text_of(response)
    assert "over 2,000" not in text_of(response)


def test_a_lone_carriage_return_counts_as_one_line_break_too(client):
    seeking_family(client)
    text = "\r".join(["看" * 39] * 50)  # 50 × 39 + 49 = 1,999 characters
    response = post_form(client, "/sampling/about", {
        "remembered": text, "missing_born": "1990", "sampled_before": "no"}, headers=EN)
    assert response.status_code == 302, errors_on(response)
