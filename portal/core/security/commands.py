"""`flask --app wsgi rotate-keys`: re-encrypt personal identifiers under the newest data key."""

from __future__ import annotations

import click
from cryptography.fernet import InvalidToken
from flask import Flask
from sqlalchemy import select, text, update

from portal.core.extensions import db
from portal.core.security.crypto import EncryptedText, rotate


def rotate_all() -> tuple[int, int]:
    """Re-encrypt every EncryptedText value under the first key in DATA_ENCRYPTION_KEYS.

    Returns (values rotated, values no configured key could read). Commits once at the end.
    To rotate: put the new key first, keep the old ones after it, run this, then drop the old keys.
    """
    rotated = unreadable = 0
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, EncryptedText)]
        if not columns:
            continue
        pk = list(table.primary_key.columns)[0]
        for column in columns:
            # Read the raw tokens: the column type would decrypt them.
            raw = db.session.execute(
                select(pk, text(f'"{column.name}"')).select_from(table).where(column.isnot(None))
            ).all()
            for key, token in raw:
                try:
                    new_token = rotate(token)
                except InvalidToken:
                    unreadable += 1
                    continue
                db.session.execute(
                    update(table).where(pk == key).values({column.name: text(":t")}),
                    {"t": new_token},
                )
                rotated += 1
    db.session.commit()
    return rotated, unreadable


def register(app: Flask) -> None:
    """Add the `rotate-keys` command to the app's CLI."""

    @app.cli.command("rotate-keys")
    def rotate_keys() -> None:
        """Re-encrypt names, phone and identity numbers under the newest DATA_ENCRYPTION_KEYS key."""
        rotated, unreadable = rotate_all()
        click.echo(f"Re-encrypted {rotated} values under the newest key.")
        if unreadable:
            click.echo(f"{unreadable} values could not be read with any configured key.", err=True)
            raise SystemExit(1)
