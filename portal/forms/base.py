"""The base form: every text field is stripped of surrounding whitespace (full-width spaces too)
and of NUL characters."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm

_WHITESPACE = " \t\r\n\u3000\u00a0"


def _strip(value: Any) -> Any:
    # NUL characters have no meaning in any answer and PostgreSQL refuses them in text.
    return value.replace("\x00", "").strip(_WHITESPACE) if isinstance(value, str) else value


class PortalForm(FlaskForm):
    """FlaskForm (CSRF included) whose string inputs are stripped before validation."""

    class Meta:
        def bind_field(self, form: Any, unbound_field: Any, options: dict) -> Any:
            """Bind each field with the stripping filter appended to its own filters."""
            filters = list(unbound_field.kwargs.get("filters", []))
            filters.append(_strip)
            return unbound_field.bind(form=form, filters=filters, **options)
