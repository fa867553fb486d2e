"""The length limit of a free-text answer, counted as the browser counts it, with an error that
says how many characters to remove."""

from __future__ import annotations

from typing import Any

from flask_babel import format_number, ngettext
from wtforms.validators import ValidationError



class MaxLength:
    """WTForms validator: at most `max` characters, each line break counted once.

    The base form (`portal.forms.base.PortalForm`) has already turned CRLF and CR into one LF, so
    `len` counts what the browser's `maxlength` and the person count. When the answer is too long
    the error is `message` (the limit, in the field's own words: "What you saw must be 5,000
    characters or fewer") followed by how many characters to remove (". Remove 12 characters"),
    in the page's language. Unicode characters are counted (a Chinese character is one).
    """

    def __init__(self, max: int, message: Any) -> None:  # noqa: A002 - WTForms' own name for the limit
        self.max = max
        self.message = message

    def __call__(self, form: Any, field: Any) -> None:
        over = len(field.data or "") - self.max
        if over <= 0:
            return
        # The limit in the field's own words comes first, then the count: one sentence pattern, so
        # each language keeps its own punctuation between them.
        raise ValidationError(ngettext("%(limit)s. Remove %(count)s character", "%(limit)s. Remove %(count)s characters",
                                       over, limit=str(self.message), count=format_number(over)))
