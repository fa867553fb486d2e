"""The language switch of a question page of the tip and booking journeys, which keeps what was typed.

On other pages the switch is a link (`/language/<code>`, `portal/web/public/views.set_language`).
On a question page a link would drop what the person has typed and not yet sent. There the switch
is a submit button of the page's own form (`base.html`: `<button form=… name="switch_language">`,
which works without JavaScript): the page's view sees `switch_requested()`, keeps the answers as
typed, unchecked, in the journey's server-side draft under `UNSENT` (never where the journey reads
its answers: an answer that is too long or not one of the choices must not count as given), sets
the language cookie and shows the same page again, filled from them (`unsent_formdata`). A page
posted with its real button drops its unsent answers (`drop_unsent`). The progress page's answer
form (`/tips/status/report`), which has no draft, is shown again at once in the other language
with what was posted, and nothing is sent.

The button posts the form's CSRF token like any other submit. With the session gone the token
fails, and the expired-form page (`portal/errors.py`) says what it can and cannot keep.
"""

from __future__ import annotations

from typing import Any

from flask import redirect, request
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from portal.core.i18n import LANGUAGES, remember_language

SWITCH_FIELD = "switch_language"
UNSENT = "unsent"
# Never kept: the token is the session's, the honeypot a bot's.
_NOT_TYPED = ("csrf_token", SWITCH_FIELD, "homepage")


def switch_requested() -> str | None:
    """The language ('zh' or 'en') asked for by the switch button of the form just posted, else None."""
    if request.method != "POST":
        return None
    code = request.form.get(SWITCH_FIELD)
    return code if code in LANGUAGES else None


def typed_on_page() -> dict[str, list[str]]:
    """What the posted form holds, as typed and unchecked: {field name: [values]}, without the
    CSRF token, the switch and the honeypot. Files are not kept."""
    return {name: values for name, values in request.form.lists() if name not in _NOT_TYPED}


def anything_typed(typed: dict[str, list[str]]) -> bool:
    """Whether `typed` (from `typed_on_page`) holds any non-blank answer."""
    return any(value.strip() for values in typed.values() for value in values)


def keep_unsent(answers: dict[str, Any], page: str, typed: dict[str, list[str]]) -> dict[str, Any]:
    """`answers` (a journey's draft answers) with `typed` kept as the unsent answers of `page` (a
    step name), replacing any kept before. Returns the same dict; the caller saves it."""
    unsent = answers.get(UNSENT)
    unsent = dict(unsent) if isinstance(unsent, dict) else {}
    unsent[page] = typed
    answers[UNSENT] = unsent
    return answers


def unsent_formdata(answers: dict[str, Any], page: str) -> MultiDict[str, str] | None:
    """The unsent answers of `page` kept by a language switch, as form data to fill the page's
    form with (WTForms reads it as it reads a post), or None when none are kept."""
    unsent = answers.get(UNSENT)
    typed = unsent.get(page) if isinstance(unsent, dict) else None
    if not isinstance(typed, dict):
        return None
    return MultiDict([(str(name), str(value)) for name, values in typed.items() if isinstance(values, list)
                      for value in values])


def drop_unsent(answers: dict[str, Any], page: str) -> dict[str, Any]:
    """`answers` without the unsent answers of `page` (once the page is sent with its own button).
    Returns the same dict; the caller saves it."""
    unsent = answers.get(UNSENT)
    if isinstance(unsent, dict) and page in unsent:
        unsent = {key: value for key, value in unsent.items() if key != page}
        if unsent:
            answers[UNSENT] = unsent
        else:
            answers.pop(UNSENT, None)
    return answers


def switched(code: str, page_url: str) -> Response:
    """The answer to a switch: the language cookie set to `code`, and the same page again (303,
    `page_url`: a path on this site, with its query)."""
    return remember_language(redirect(page_url, 303), code)
