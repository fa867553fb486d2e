"""Bulk intake items for the queue measure: a million rows in seconds, with PostgreSQL's generate_series.

The INSERT … SELECT lists every column the models define (`IntakeItem.__table__`, `Tip.__table__`),
so the generator keeps working as columns are added: a column it sets itself gets a realistic
spread of values; any other column gets its server default, its Python default (a constant) or
NULL. A new NOT NULL column with none of these stops the run with a message naming the column.

Every generated item is a tip with its `tip` row (anonymous: no contact details), so a queue that
joins the tip table sees complete rows. Values are spread like a campaign's: most items normal
priority, a few urgent; statuses from new to closed; received times spread evenly over the last
120 days, oldest first by id; web and SMS.
"""

from __future__ import annotations

from typing import Any, Callable

from sqlalchemy import Column, Table, text
from sqlalchemy.engine import Connection

from portal.models import IntakeItem, ItemStatus, Tip, TipCategory
from portal.security.references import ALPHABET, REFERENCE_LENGTH, REFERENCE_PREFIX

SPREAD_DAYS = 120
# Generated references end in a symbol that new_reference() also uses, so they look real; they are
# distinct because they spell the row number in base 30.
_STATUSES = [s.value for s in ItemStatus]
_CATEGORIES = [c.value for c in TipCategory]


class UnknownColumn(RuntimeError):
    """A NOT NULL column without any default that this generator does not know how to fill."""


def _reference_sql(n: str) -> str:
    """SQL for a unique reference `TY-XXXX-XXXX` spelling the integer expression `n` in base 30."""
    base = len(ALPHABET)
    digits = [
        f"substr('{ALPHABET}', (({n} / {base ** power}) % {base})::int + 1, 1)"
        for power in reversed(range(REFERENCE_LENGTH))
    ]
    return f"'{REFERENCE_PREFIX}-' || " + " || ".join(digits[:4]) + " || '-' || " + " || ".join(digits[4:])


def _pick(n: str, values: list[str]) -> str:
    """SQL choosing one of `values` by `n` (a spread, not a pattern that follows the id order)."""
    cases = " ".join(f"WHEN {i} THEN '{value}'" for i, value in enumerate(values))
    return f"(CASE (({n} * 7919) % {len(values)}) {cases} END)"


def _fill(table: Table, chosen: dict[str, str], params: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The column names and SQL expressions of an INSERT … SELECT into `table`.

    `chosen`: SQL expressions for the columns this generator sets. Other columns: left out when
    they have a server default or are an autoincrement key, a bound constant for a scalar Python
    default, NULL otherwise when nullable. Raises UnknownColumn for anything else.
    """
    names: list[str] = []
    values: list[str] = []
    for column in table.columns:
        column = column  # type: Column[Any]
        if column.name in chosen:
            names.append(column.name)
            values.append(chosen[column.name])
        elif column.primary_key and column.autoincrement in (True, "auto"):
            continue
        elif column.server_default is not None:
            continue
        elif column.default is not None and getattr(column.default, "is_scalar", False):
            key = f"default_{table.name}_{column.name}"
            params[key] = column.default.arg  # type: ignore[attr-defined]
            names.append(column.name)
            values.append(f":{key}")
        elif column.default is not None and getattr(column.default, "is_callable", False) and not column.unique:
            key = f"default_{table.name}_{column.name}"
            default: Callable[..., Any] = column.default.arg  # type: ignore[attr-defined]
            params[key] = default(None)
            names.append(column.name)
            values.append(f":{key}")
        elif column.nullable:
            continue
        else:
            raise UnknownColumn(
                f"bench/data.py cannot fill {table.name}.{column.name} (NOT NULL, no default): "
                "add a value for it to the generator"
            )
    return names, values


def add_intake_items(conn: Connection, first: int, count: int) -> None:
    """Insert `count` tips with their intake items, numbered `first` … `first + count - 1`.

    Numbers must not be reused within one database (they make the references unique). Runs on
    PostgreSQL only (generate_series); the caller commits.
    """
    params: dict[str, Any] = {"first": first, "last": first + count - 1, "total": max(first + count, 1_000_000)}
    received = f"(now() - interval '{SPREAD_DAYS} days' * (1 - n::float8 / :total))"
    item_columns = {
        "reference": _reference_sql("n"),
        "kind": "'tip'",
        "channel": "(CASE WHEN n % 10 < 3 THEN 'sms' ELSE 'web' END)",
        "status": _pick("n", _STATUSES),
        # 2% urgent, 8% high, 10% low, the rest normal.
        "priority": "(CASE WHEN n % 50 = 0 THEN 0 WHEN n % 50 < 5 THEN 1 WHEN n % 10 = 7 THEN 3 ELSE 2 END)",
        "received_at": received,
        "feedback_due_at": f"({received} + interval '7 days')",
        "region_text": "('四川省成都市' || (ARRAY['锦江区','青羊区','金牛区','武侯区','成华区'])[n % 5 + 1])",
        "updated_at": received,
    }
    names, values = _fill(IntakeItem.__table__, item_columns, params)  # type: ignore[arg-type]
    conn.execute(
        text(
            f"INSERT INTO intake_item ({', '.join(names)}) "
            f"SELECT {', '.join(values)} FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS n"
        ),
        params,
    )
    tip_columns = {
        "item_id": "i.id",
        "category": _pick("i.n", _CATEGORIES),
        "description": "'在火车站看到一个小孩被成年人带着乞讨，孩子大约六岁，穿红色外套。（基准测试数据 ' || i.n || '）'",
        "place": "i.region_text",
        "child_in_danger": "(i.priority = 0)",
        "may_contact_by_sms": "false",
        "follow_up_code_hash": "md5(i.n::text) || md5((i.n + 1)::text)",
    }
    tip_params: dict[str, Any] = {}
    names, values = _fill(Tip.__table__, tip_columns, tip_params)  # type: ignore[arg-type]
    # The row number is recovered from the reference's position in the series: the items just
    # inserted are exactly those with ids above the previous maximum.
    conn.execute(
        text(
            f"INSERT INTO tip ({', '.join(names)}) "
            f"SELECT {', '.join(values)} FROM ("
            "  SELECT it.id, it.priority, it.region_text, :first - 1 + row_number() OVER (ORDER BY it.id) AS n"
            "  FROM intake_item it LEFT JOIN tip t ON t.item_id = it.id"
            "  WHERE t.id IS NULL AND it.kind = 'tip'"
            ") AS i"
        ),
        {**tip_params, "first": first},
    )


def remove_intake_items(conn: Connection) -> None:
    """Empty the queue: every intake item and what hangs off it (TRUNCATE … CASCADE)."""
    conn.execute(text("TRUNCATE intake_item RESTART IDENTITY CASCADE"))
