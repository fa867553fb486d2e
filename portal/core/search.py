"""Text search in tip descriptions and SMS messages that works for Chinese.

Chinese has no spaces between words, so word-based full-text search finds nothing useful. Both
databases index trigrams (every run of three characters) instead, so any three or more
characters find every text containing them:

- PostgreSQL: `pg_trgm` GIN indexes (`gin_trgm_ops`), used by `ILIKE '%…%'`.
- SQLite: FTS5 tables with the `trigram` tokenizer (SQLite 3.34+), kept in step by triggers.

Shorter queries (one or two characters) fall back to a plain `LIKE` scan. The indexes are made
by migration 0004 in SQL, outside the models; `include_object` keeps Alembic's autogenerate
from trying to drop them.
"""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import ColumnElement, Integer, Select, column, or_, select, text

from portal.core.extensions import db
from portal.core.models import InboundMessage, IntakeItem, Tip

SEARCH_OBJECTS = frozenset({"ix_tip_description_trgm", "ix_inbound_message_body_trgm"})
# Indexes made in SQL by migrations, outside the models: the search indexes, and the queue's
# "needs attention" key (migration 0016, portal.core.models.intake.ATTENTION_BAND_SQL).
SQL_ONLY_OBJECTS = SEARCH_OBJECTS | {"ix_intake_item_attention"}
_FTS_PREFIXES = ("tip_fts", "inbound_message_fts")
MAX_QUERY_LENGTH = 100
SNIPPET_WIDTH = 60  # characters of a text shown in a queue row


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic filter: leave the indexes and FTS5 tables made in SQL out of comparisons."""
    if name is None:
        return True
    if name in SQL_ONLY_OBJECTS:
        return False
    return not (type_ == "table" and name.startswith(_FTS_PREFIXES))


def _like_pattern(query: str) -> str:
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _fts_phrase(query: str) -> str:
    # One FTS5 string: double quotes inside are doubled, so nothing typed is read as syntax.
    return '"' + query.replace('"', '""') + '"'


def matching_items(query: str) -> ColumnElement[bool]:
    """A WHERE clause on IntakeItem: its tip's description or one of its SMS messages contains
    `query` (case-insensitive, anywhere in the text). `query` is used as typed, at most 100 characters."""
    query = query[:MAX_QUERY_LENGTH]
    dialect = db.engine.dialect.name
    tips: Select
    messages: Select
    if dialect == "sqlite" and len(query) >= 3:
        phrase = _fts_phrase(query)
        tip_match = text("SELECT rowid FROM tip_fts WHERE tip_fts MATCH :tip_q").bindparams(tip_q=phrase)
        message_match = text(
            "SELECT rowid FROM inbound_message_fts WHERE inbound_message_fts MATCH :msg_q"
        ).bindparams(msg_q=phrase)
        tips = select(Tip.item_id).where(Tip.id.in_(tip_match.columns(column("rowid", Integer))))
        messages = select(InboundMessage.item_id).where(
            InboundMessage.id.in_(message_match.columns(column("rowid", Integer)))
        )
    else:
        pattern = _like_pattern(query)
        tips = select(Tip.item_id).where(Tip.description.ilike(pattern, escape="\\"))
        messages = select(InboundMessage.item_id).where(InboundMessage.body.ilike(pattern, escape="\\"))
    return or_(IntakeItem.id.in_(tips), IntakeItem.id.in_(messages))


def marked_snippet(words: str | None, query: str | None = None, width: int = SNIPPET_WIDTH) -> Markup | None:
    """About `width` characters of `words` for a list row, as HTML-escaped Markup, or None when
    there are no words.

    Runs of spaces and line breaks become one space. With `query` (as typed in the search box)
    found in the words (case-insensitive, like `matching_items`), the window is centred on its
    first occurrence and the occurrence is wrapped in `<mark>`; otherwise it is the start of the
    words. A cut is shown with "…". Everything but the `<mark>` tags is escaped.
    """
    text_ = " ".join((words or "").split())
    if not text_:
        return None
    typed = " ".join((query or "").split())[:MAX_QUERY_LENGTH]
    found = re.search(re.escape(typed), text_, re.IGNORECASE) if typed else None
    if found is None:
        return escape(text_[:width]) + ("…" if len(text_) > width else "")
    start = max(found.start() - max(width - len(found.group()), 0) // 2, 0)
    end = min(max(start + width, found.end()), len(text_))
    start = min(start, max(end - width, 0))  # near the end: fill the width from before
    return (
        ("…" if start > 0 else "") + escape(text_[start:found.start()])
        + Markup("<mark>") + escape(found.group()) + Markup("</mark>")
        + escape(text_[found.end():end]) + ("…" if end < len(text_) else "")
    )
