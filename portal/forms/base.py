"""The base form: every text field is stripped of surrounding whitespace (full-width spaces too),
of NUL characters, of invisible characters that carry no meaning in an answer and of the mark of a
removed passage, and its line breaks are read as the browser counts them (one character
each). Also a form that is only a button, and the errors of a form as the error summary at the
top of a page lists them."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm

from portal.core.redaction_marks import MARK

_WHITESPACE = " \t\r\n\u3000\u00a0"


def one_line_break(text: str) -> str:
    """`text` with every line break as one "\\n": browsers send a textarea's line breaks as CRLF
    (HTML's form submission rules) but count each as one character against its `maxlength`, as
    people do; old Mac text may hold a lone CR."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


# Removed from every answer: NUL (no meaning, and PostgreSQL refuses it in text); zero-width
# spaces, word joiners and byte-order marks, which make an answer that looks empty pass as given;
# and the bidirectional controls (U+202A-U+202E, U+2066-U+2069), which make a name or a text read
# differently on a staff page from what was stored ("Trojan Source", CVE-2021-42574). The zero-width
# joiner stays: emoji sequences need it. Also the mark that stands for a passage staff removed
# (portal.core.redaction_marks), so that nobody can type one.
_INVISIBLE = dict.fromkeys(map(ord, "\x00\u200b\u2060\ufeff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069" + MARK))


def _strip(value: Any) -> Any:
    return one_line_break(value.translate(_INVISIBLE)).strip(_WHITESPACE) if isinstance(value, str) else value


class PortalForm(FlaskForm):
    """FlaskForm (CSRF included) whose string inputs are stripped, and their line breaks made one
    character each, before validation: a length limit counts what the person sees."""

    class Meta:
        def bind_field(self, form: Any, unbound_field: Any, options: dict) -> Any:
            """Bind each field with the stripping filter appended to its own filters."""
            filters = list(unbound_field.kwargs.get("filters", []))
            filters.append(_strip)
            return unbound_field.bind(form=form, filters=filters, **options)


class ConfirmForm(PortalForm):
    """A button with a CSRF token (book, cancel, confirm a change)."""


def flat_errors(form: Any) -> list[tuple[str, str]]:
    """(field id, first message) for every field with an error, sub-forms included, in page order."""
    found: list[tuple[str, str]] = []
    for field in form:
        if field.type in ("CSRFTokenField", "HiddenField"):
            continue
        if field.type == "FieldList":
            for entry in field.entries:
                found.extend(flat_errors(entry.form))
        elif field.errors and isinstance(field.errors, list) and field.errors[0]:
            suffix = "-0" if field.type == "RadioField" else ""
            found.append((field.id + suffix, str(field.errors[0])))
    return found
