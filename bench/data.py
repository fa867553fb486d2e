"""Bulk intake items for the queue measure: a million rows in seconds, with PostgreSQL's generate_series.

The INSERT … SELECT lists every column the models define (`IntakeItem.__table__`, `Tip.__table__`),
so the generator keeps working as columns are added: a column it sets itself gets a realistic
spread of values; any other column gets its server default, its Python default (a constant) or
NULL. A new NOT NULL column with none of these stops the run with a message naming the column.

Every generated item is a tip with its `tip` row (anonymous: no contact details), so a queue that
joins the tip table sees complete rows. Values are spread like a campaign's: most items normal
priority, a few urgent; statuses from new to closed; received times spread evenly over the last
120 days, oldest first by id; web and SMS. The triage workflow's columns (migration 0004) are
filled as the workflow leaves them: a closed item has its outcome and closing time, an assigned
or verifying one its assignee (the first staff account, when there is one). The tip journey's
columns (migration 0002) carry a day, a time of day and the language of the page.

Loading a million rows through the secondary indexes, above all the trigram GIN index that the
queue's text search reads (`ix_tip_description_trgm`), costs minutes; `bulk_load` drops those
indexes first and re-creates them afterwards from their own definitions, then ANALYZEs, as one
would for any bulk load: the same indexes, built over every row.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterator

from sqlalchemy import Table, text
from sqlalchemy.engine import Connection

from portal.core.models import IntakeItem, ItemStatus, Outcome, Tip, TipCategory
from portal.core.security.references import ALPHABET, REFERENCE_LENGTH, REFERENCE_PREFIX

SPREAD_DAYS = 120
# Generated references end in a symbol that new_reference() also uses, so they look real; they are
# distinct because they spell the row number in base 30.
_STATUSES = [s.value for s in ItemStatus]
_CATEGORIES = [c.value for c in TipCategory]
_OUTCOMES = [o.value for o in Outcome]
_TIMES_OF_DAY = ["early_morning", "morning", "afternoon", "evening", "night", "not_sure"]
# Chengdu's central districts: code and name, as the tip journey's place questions store them.
_DISTRICTS = [("510104", "锦江区"), ("510105", "青羊区"), ("510106", "金牛区"), ("510107", "武侯区"), ("510108", "成华区")]
_DESCRIPTIONS = [
    "在火车站看到一个小孩被成年人带着乞讨，孩子大约六岁，穿红色外套。",
    "商场门口有个女孩一直在哭，说要找妈妈，旁边的男人说是她爸爸，孩子说不认识他。",
    "邻居家新来了一个两三岁的男孩，口音不是本地的，问起来说是亲戚送来的。",
    "Saw a boy of about ten selling flowers late at night near the metro, an adult collecting the money.",
    "地铁口有个老人带着一个残疾儿童乞讨，每天都在，孩子看起来很虚弱。",
]


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
    # Status, channel and priority each follow their own slice of the row number, so that no two
    # go together (all urgent items new SMS, say) and every filter has something to find.
    status = _pick("(n / 7)", _STATUSES)
    item_columns = {
        "reference": _reference_sql("n"),
        "kind": "'tip'",
        "channel": "(CASE WHEN (n / 11) % 10 < 3 THEN 'sms' ELSE 'web' END)",
        "status": status,
        # 2% urgent, 8% high, 10% low, the rest normal.
        "priority": "(CASE WHEN n % 50 = 0 THEN 0 WHEN n % 50 < 5 THEN 1 WHEN n % 10 = 7 THEN 3 ELSE 2 END)",
        "received_at": received,
        "feedback_due_at": f"({received} + interval '7 days')",
        "region_code": "(ARRAY[" + ",".join(f"'{code}'" for code, _ in _DISTRICTS) + "])[n % 5 + 1]",
        "region_text": "('四川省成都市' || (ARRAY[" + ",".join(f"'{name}'" for _, name in _DISTRICTS) + "])[n % 5 + 1])",
        "updated_at": received,
        # What the triage workflow leaves: closed items have an outcome and a closing time,
        # assigned and verifying ones an assignee.
        "outcome": f"(CASE WHEN {status} = 'closed' THEN {_pick('(n / 5)', _OUTCOMES)} END)",
        "closed_at": f"(CASE WHEN {status} = 'closed' THEN {received} + interval '3 days' END)",
        "assigned_to_id": f"(CASE WHEN {status} IN ('assigned', 'verifying') THEN (SELECT min(id) FROM staff_user) END)",
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
        "description": "((ARRAY[" + ",".join(f"'{d}'" for d in _DESCRIPTIONS) + "])[i.n % 5 + 1] || '（基准测试数据 ' || i.n || '）')",
        "place": "i.region_text",
        "seen_on": "(i.received_at AT TIME ZONE 'Asia/Shanghai')::date",
        "seen_time": _pick("(i.n / 3)", _TIMES_OF_DAY),
        "language": "(CASE WHEN i.n % 5 = 3 THEN 'en' ELSE 'zh' END)",
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
            "  SELECT it.id, it.priority, it.region_text, it.received_at, :first - 1 + row_number() OVER (ORDER BY it.id) AS n"
            "  FROM intake_item it LEFT JOIN tip t ON t.item_id = it.id"
            "  WHERE t.id IS NULL AND it.kind = 'tip'"
            ") AS i"
        ),
        {**tip_params, "first": first},
    )


# Indexes of the bulk-loaded tables that no constraint owns (the primary keys and unique
# constraints stay: they check the rows as they arrive).
_SECONDARY_INDEXES = """
SELECT i.indexname, i.indexdef FROM pg_indexes i
WHERE i.schemaname = current_schema() AND i.tablename = ANY(CAST(:tables AS text[]))
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = to_regclass(quote_ident(i.indexname)))
ORDER BY i.indexname
"""


@contextmanager
def bulk_load(conn: Connection, tables: tuple[str, ...] = ("intake_item", "tip")) -> Iterator[list[str]]:
    """Drop the secondary indexes of `tables` (PostgreSQL), yield their names, re-create them.

    Re-created from their own definitions (pg_indexes.indexdef), so the search indexes the
    migrations made (pg_trgm GIN) are the same after the load and cover every row. Run ANALYZE
    afterwards. Uses the caller's transaction.
    """
    found = conn.execute(text(_SECONDARY_INDEXES), {"tables": list(tables)}).all()
    for name, _definition in found:
        conn.execute(text(f'DROP INDEX "{name}"'))
    yield [name for name, _ in found]
    conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
    for _name, definition in found:
        conn.execute(text(definition))


def remove_intake_items(conn: Connection) -> None:
    """Empty the queue: every intake item and what hangs off it (TRUNCATE … CASCADE)."""
    conn.execute(text("TRUNCATE intake_item RESTART IDENTITY CASCADE"))
