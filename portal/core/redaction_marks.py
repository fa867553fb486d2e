"""The mark that stands where staff removed a passage, and finding a passage in a text.

A removed passage is replaced in the database by one character, `MARK` (U+F0000, the first code
point of Unicode's Supplementary Private Use Area-A). It is no word of any language, so the
stored text says nothing in English or Chinese; every page, CSV file and SMS shows it in the
reader's language instead (`placeholder`: 〔已删除〕 / [removed]), through the Jinja `finalize`
hook that `portal.core.i18n.init_app` installs, `portal.core.csv_export` and the outbox worker.

A tipster must not be able to make their own words look removed by staff (or hide words behind
a fake mark), so the mark is taken out of everything that comes in: every web form's text
(`portal.forms.base.PortalForm`) and every SMS (`portal.hotline.incoming.read_incoming`). The
placeholder's words can still be typed, so on a web page (`show_marks_html`) the placeholder is
set apart from the words around it: a `removed-passage` span, styled unlike any text a tipster
can send (static/css/portal.css), whose words for a screen reader say that staff removed a
passage. A CSV file or an SMS, plain text, shows the words only. A
private-use character was chosen over markers recorded in the `redaction` rows because it cannot
drift out of step with the text (no offsets to keep when a later redaction shortens it), and
over the Basic Multilingual Plane's private-use area (U+E000-U+F8FF) because Chinese input
methods map GBK's user-defined characters there, so a real tip may hold them.

Finding a passage (`find_passage`) tolerates what copying and retyping change: full-width and
half-width forms and other compatibility variants (NFKC, so "１３８" matches "138"), letter case,
and whitespace anywhere (so "138 0013 8000" matches "13800138000"). Every occurrence is found.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from flask_babel import gettext
from markupsafe import Markup, escape

MARK = "\U000f0000"
# Shortest passage (in characters after folding) that may be removed: one character would
# remove every "2" of an item's numbered answers.
MIN_PASSAGE_LENGTH = 2


def placeholder() -> str:
    """What a reader sees in place of a removed passage, in the current language."""
    return gettext("[removed]")


def strip_marks(text: str) -> str:
    """`text` without any MARK (for text that comes in from outside)."""
    return text.replace(MARK, "")


def show_marks(value: Any) -> Any:
    """`value` with every MARK shown as the placeholder in the current language; anything other
    than a string is returned unchanged (the Jinja `finalize` hook passes every output here; a
    `Markup` stays `Markup`, the placeholder escaped)."""
    if isinstance(value, str) and MARK in value:
        return value.replace(MARK, placeholder())
    return value


def removed_html() -> Markup:
    """The placeholder as HTML, set apart from anything a tipster can type: a `removed-passage`
    span showing `placeholder()` (hidden from screen readers), and saying "passage removed by
    staff" to screen readers only. Its attributes are unquoted, so that even printed inside an
    attribute's value it cannot end the attribute."""
    return Markup(
        "<span class=removed-passage><span aria-hidden=true>{}</span><span class=visually-hidden>{}</span></span>"
    ).format(placeholder(), gettext("passage removed by staff"))


def show_marks_html(value: Any) -> Any:
    """For an HTML template's output: a string holding a MARK is escaped and returned as `Markup`
    with each MARK shown as `removed_html()`. A `Markup` value (a form field's HTML, a macro's
    output) may hold the mark inside an attribute, so it gets the placeholder's words only, as
    from `show_marks`; anything else is returned unchanged."""
    if isinstance(value, str) and not isinstance(value, Markup) and MARK in value:
        return escape(value).replace(MARK, removed_html())
    return show_marks(value)


def _fold(char: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKC", char).casefold() if not c.isspace())


def folded(text: str) -> str:
    """`text` as passages are compared: NFKC, case-folded, without whitespace."""
    return "".join(_fold(char) for char in text)


def _without_separators(text: str) -> str:
    return "".join(c for c in folded(text) if unicodedata.category(c)[0] not in "PSZC")


def quotes_passage(text: str, passage: str) -> bool:
    """Whether `text` holds `passage` even written with other punctuation, symbols or separators
    (139-1234-5678, 139.1234.5678 or "139 1234 5678" for 13912345678), besides what
    `find_passage` tolerates. For checking that words kept about a passage do not repeat it; a
    passage of only such characters is held by nothing."""
    needle = _without_separators(passage)
    return bool(needle) and needle in _without_separators(text)


def find_passage(text: str, passage: str) -> list[tuple[int, int]]:
    """Where `passage` occurs in `text`, as (start, end) character offsets of `text`, in order,
    never overlapping (see the module's docstring for what counts as the same). A passage that
    folds to nothing is found nowhere."""
    needle = folded(passage)
    if not needle or not text:
        return []
    hay: list[str] = []
    origin: list[int] = []  # for each folded character, the offset of the character it came from
    for index, char in enumerate(text):
        for part in _fold(char):
            hay.append(part)
            origin.append(index)
    haystack = "".join(hay)
    spans: list[tuple[int, int]] = []
    position = haystack.find(needle)
    while position != -1:
        start, end = origin[position], origin[position + len(needle) - 1] + 1
        if spans and start < spans[-1][1]:  # both touch one character that folded to several
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
        position = haystack.find(needle, position + len(needle))
    return spans


def replace_passage(text: str, passage: str) -> tuple[str, int]:
    """`text` with each occurrence of `passage` replaced by one MARK, and how many there were."""
    spans = find_passage(text, passage)
    if not spans:
        return text, 0
    parts: list[str] = []
    last = 0
    for start, end in spans:
        parts += [text[last:start], MARK]
        last = end
    parts.append(text[last:])
    return "".join(parts), len(spans)
