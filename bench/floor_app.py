"""The floor: what bare Flask does on this machine with one INSERT per request.

`POST /insert` reads the posted form and inserts one row into `bench_floor_row`, a table about
as wide as a tip with its intake item, then redirects (303) like the portal's tip form. Nothing
else: no CSRF, no session, no templates, no encryption, no rate limit. The portal's figures are
reported as a fraction of this one, measured on the same machine in the same run.

Served by gunicorn with the portal's own settings (gunicorn.conf.py):
`BENCH_FLOOR_DATABASE_URL=... gunicorn -c gunicorn.conf.py bench.floor_app:app`.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

from flask import Flask, Response, redirect, request
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
)

metadata = MetaData()

# As wide as intake_item + tip: the same kinds of columns, one row instead of two.
floor_row = Table(
    "bench_floor_row",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("reference", String(16)),
    Column("kind", String(20), nullable=False),
    Column("channel", String(10), nullable=False),
    Column("status", String(20), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("feedback_due_at", DateTime(timezone=True)),
    Column("region_text", String(500)),
    Column("category", String(40)),
    Column("description", Text),
    Column("place", String(500)),
    Column("seen_when", String(200)),
    Column("child_in_danger", Boolean, nullable=False),
    Column("contact_name", Text),
    Column("contact_phone", Text),
    Column("may_contact_by_sms", Boolean, nullable=False),
    # Unique, like the portal's submission key and SMS message id.
    Column("submission_key", String(64), unique=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


def create_floor_app(database_url: str) -> Flask:
    """The floor app on `database_url` (the table must exist: `metadata.create_all`)."""
    app = Flask(__name__)
    # The portal's pool settings (portal/__init__.py: _engine_options), so both pay the same.
    engine = create_engine(database_url, pool_pre_ping=True, hide_parameters=True)

    @app.post("/insert")
    def insert() -> Response:
        """Insert one row from the posted form (a tip form's fields or a Twilio webhook's)."""
        form = request.form
        now = datetime.now(timezone.utc)
        text = form.get("description") or form.get("Body") or ""
        with engine.begin() as conn:
            conn.execute(
                floor_row.insert().values(
                    reference=None,
                    kind="tip",
                    channel="sms" if "MessageSid" in form else "web",
                    status="new",
                    priority=0 if form.get("child_in_danger") == "yes" else 2,
                    received_at=now,
                    feedback_due_at=now + timedelta(days=7),
                    region_text=form.get("place") or None,
                    category=form.get("category") or "other",
                    description=text,
                    place=form.get("place") or None,
                    seen_when=form.get("seen_when") or None,
                    child_in_danger=form.get("child_in_danger") == "yes",
                    contact_name=form.get("contact_name") or None,
                    contact_phone=form.get("contact_phone") or form.get("From") or None,
                    may_contact_by_sms=bool(form.get("may_contact_by_sms")),
                    submission_key=form.get("submission_id") or form.get("MessageSid") or None,
                    updated_at=now,
                )
            )
        return redirect("/done", 303)

    return app


app = create_floor_app(os.environ.get("BENCH_FLOOR_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
