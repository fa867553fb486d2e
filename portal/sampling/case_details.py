"""The case behind a sample: what a family told about the person being looked for (their name,
sex, date of birth, when and where they were last seen, a police report number, whether the family
gave a sample before), or what a person looking for their birth family remembers, or the agency
that brings a person whose identity is unknown.

Stored encrypted as one JSON object in `Appointment.case_details` (it is personal data), written
by the public booking journey (portal/web/sampling) and by the desk for a walk-in, with the same
keys (CASE_KEYS; the journey's form field names) and the same stored forms: dates as EDTF strings
(portal.core.partial_dates), sex and "sampled before" as the keys of SEX_LABELS and
SAMPLED_BEFORE_LABELS. `case_rows` is how staff read it, in the current language.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.core.models import ApplicantRole
from portal.core.partial_dates import partial_date_words

SEX_LABELS = {"female": _l("Female"), "male": _l("Male"), "unknown": _l("Not sure")}
SAMPLED_BEFORE_LABELS = {"no": _l("No"), "yes": _l("Yes"), "unknown": _l("Not sure")}

# The answers kept, as the journey's forms name them; "agency_name" is an agency's booking's.
CASE_KEYS = ("missing_name", "missing_sex", "missing_born", "last_seen_on", "last_seen_place", "police_report",
             "remembered", "sampled_before", "agency_name")


def case_details_text(answers: Mapping[str, Any] | None) -> str | None:
    """The JSON text to store in `Appointment.case_details` for `answers` ({key of CASE_KEYS:
    value}; other keys and empty values are left out), or None when nothing was given."""
    kept = {key: answers[key] for key in CASE_KEYS
            if answers and answers.get(key) not in (None, "")}
    return json.dumps(kept, ensure_ascii=False) if kept else None


def read_case_details(stored: str | None) -> dict[str, Any]:
    """The stored answers as a dict ({} when none, or when the text is not a JSON object)."""
    if not stored:
        return {}
    try:
        found = json.loads(stored)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _labelled(labels: Mapping[str, Any], value: Any) -> str:
    return str(labels[value]) if value in labels else str(value or "")


def case_rows(stored: str | None, role: str) -> list[tuple[str, str]]:
    """What staff read of a booking's case details: (label, text) in the current language, in the
    journey's order, only the answers given. Dates are in words as precise as the person gave
    them (1990年5月 · May 1990, 约1990年 · about 1990: `partial_date_words`), never made into a
    full date. `role`: the booking's ApplicantRole value, which says whose birth date and place
    the answers are (a person looking for their birth family answers about themself)."""
    answers = read_case_details(stored)
    seeking = role == ApplicantRole.SEEKING_BIRTH_FAMILY
    labels: list[tuple[str, Any]] = [
        ("agency_name", _("Agency")),
        ("missing_name", _("Name of the person looked for")),
        ("missing_sex", _("Sex")),
        ("missing_born", _("Their own date of birth") if seeking else _("Date of birth of the person looked for")),
        ("last_seen_on", _("When last seen")),
        ("last_seen_place", _("Where they think they were born or lived as a child") if seeking
         else _("Where last seen")),
        ("police_report", _("Police report number")),
        ("remembered", _("What they remember")),
        ("sampled_before", _("Sampled before for this search")),
    ]
    rows = []
    for key, label in labels:
        value = answers.get(key)
        if value in (None, ""):
            continue
        if key == "missing_sex":
            text = _labelled(SEX_LABELS, value)
        elif key == "sampled_before":
            text = _labelled(SAMPLED_BEFORE_LABELS, value)
        elif key in ("missing_born", "last_seen_on"):
            text = partial_date_words(str(value))
        else:
            text = str(value)
        rows.append((label, text))
    return rows


__all__ = ["CASE_KEYS", "SAMPLED_BEFORE_LABELS", "SEX_LABELS", "case_details_text", "case_rows", "read_case_details"]
