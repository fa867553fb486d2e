"""Words people see for tip categories and progress, shared by the web pages and other areas."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from portal.core.models import ItemStatus, TipCategory

# In the order the form offers them: the most common reasons first, "something else" last.
CATEGORY_LABELS: dict[TipCategory, LazyString] = {
    TipCategory.ABDUCTED_OR_TRAFFICKED: _l("A child who may have been abducted or trafficked"),
    TipCategory.BEGGING_OR_EXPLOITED: _l("A child begging or being exploited under an adult's control"),
    TipCategory.UNKNOWN_ORIGIN_OR_ADOPTION: _l("A child of unknown origin, or a suspicious adoption"),
    TipCategory.KNOWN_MISSING_CHILD: _l("Information about a known missing child"),
    TipCategory.ADULT_ABDUCTED_AS_CHILD: _l("An adult who may have been abducted as a child"),
    TipCategory.OTHER: _l("Something else"),
}

# What a tipster is told about progress. Staff statuses are finer than this on purpose: the
# public learns only whether the report is waiting, being checked, or finished.
PUBLIC_PROGRESS: dict[ItemStatus, str] = {
    ItemStatus.NEW: "received",
    ItemStatus.TRIAGED: "working",
    ItemStatus.ASSIGNED: "working",
    ItemStatus.VERIFYING: "working",
    ItemStatus.CLOSED: "closed",
}

PROGRESS_WORDS: dict[str, tuple[LazyString, LazyString]] = {
    "received": (_l("Received"), _l("Your report is waiting to be looked at by the police.")),
    "working": (_l("The police are working on it"),
                _l("The police are looking into your report. If they have a question, you will see it here.")),
    "closed": (_l("Closed"), _l("The police have finished looking at your report. Thank you for your help.")),
}


def public_progress_key(status: str, questions_asked: bool = False) -> str:
    """The public progress of an intake item's `status` value: "received", "working" or "closed"
    (the keys of PROGRESS_WORDS).

    Once the police have asked the tipster a question (`questions_asked`), a report still marked
    new reads as being worked on too: someone has plainly looked at it. An unknown status (a
    later workflow step this mapping does not know yet) reads as being worked on, never as an error.
    """
    try:
        key = PUBLIC_PROGRESS[ItemStatus(status)]
    except ValueError:
        key = "working"
    if key == "received" and questions_asked:
        key = "working"
    return key


def public_progress(status: str, questions_asked: bool = False) -> tuple[LazyString, LazyString]:
    """Return (status word, one-sentence explanation) for an intake item's `status` value (see
    `public_progress_key`)."""
    return PROGRESS_WORDS[public_progress_key(status, questions_asked)]


# Answers to "Is the child a girl or a boy?" (stored values → words).
SEX_LABELS: dict[str, LazyString] = {
    "girl": _l("Girl"),
    "boy": _l("Boy"),
    "not_sure": _l("Not sure"),
}

# Answers to "About what time?" (stored values → words), in the order of a day.
TIME_OF_DAY_LABELS: dict[str, LazyString] = {
    "early_morning": _l("Early morning (before 8am)"),
    "morning": _l("Morning (8am to 12 noon)"),
    "afternoon": _l("Afternoon (12 noon to 6pm)"),
    "evening": _l("Evening (6pm to 10pm)"),
    "night": _l("Night (after 10pm)"),
    "not_sure": _l("Not sure"),
}
