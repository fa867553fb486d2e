"""Server-side drafts of a public journey, found through a random id in their own cookie.

Used by the tip journey (`tip_draft` table and cookie) and the sampling booking journey
(`sampling_draft`). The answers given so far live in a database row, not
in the session cookie: they survive a refresh, the back button, a lost session and an expired
CSRF token, and long answers cannot push a cookie past the browser's 4 KB limit (Chromium drops
such a cookie silently). The draft cookie (HttpOnly, SameSite=Lax) holds 192 random bits; the row
holds only their HMAC and the answers encrypted (`EncryptedText`), so neither the page nor the
database lets anyone else open a draft. A draft lives a configured number of hours after its
last change; the worker deletes expired ones, and "Exit this page" deletes the visitor's at once
(`DraftStore.forget`). The cookie's path is `/`, so that the exit link of any public page
(`/exit`) receives it.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from flask import after_this_request, current_app, g, request
from sqlalchemy import delete, select
from werkzeug.wrappers import Response

from portal.core.extensions import db
from portal.core.models import utcnow
from portal.core.security.crypto import lookup_hash

DraftRow = TypeVar("DraftRow")


class DraftStore(Generic[DraftRow]):
    """Drafts of one journey.

    `model`: a table with `key_hash` (HMAC of the cookie's id), `answers` (encrypted JSON text),
    `created_at` and `expires_at` (UTC). `cookie`: the draft cookie's name (path `/`).
    `former_paths`: paths the cookie was set on before, deleted too by `forget`. `purpose`: the
    HMAC purpose that keeps ids of different journeys apart. `hours`: how long a draft lives after
    its last change (read per request, from the settings).
    """

    path = "/"

    def __init__(self, model: type[DraftRow], *, cookie: str, purpose: str, hours: Callable[[], int],
                 former_paths: tuple[str, ...] = ()) -> None:
        self.model = model
        self.cookie = cookie
        self.former_paths = former_paths
        self.purpose = purpose
        self.hours = hours
        self._g_name = f"{cookie}_token"

    def _token_from_cookie(self) -> str | None:
        token = request.cookies.get(self.cookie, "")
        return token if 20 <= len(token) <= 64 and token.replace("-", "").replace("_", "").isalnum() else None

    def token(self) -> str | None:
        """This browser's draft id (from the cookie, or the one just made in this request), or None."""
        return g.get(self._g_name) or self._token_from_cookie()

    def _row(self) -> DraftRow | None:
        """This browser's draft row, expired or not, or None."""
        token = self.token()
        if token is None:
            return None
        model: Any = self.model
        return db.session.scalar(select(model).where(model.key_hash == lookup_hash(token, self.purpose)))

    def current(self, now: datetime | None = None) -> DraftRow | None:
        """The visitor's unexpired draft, or None (no cookie, unknown id, or expired)."""
        draft: Any = self._row()
        if draft is None or draft.expires_at <= (now or utcnow()):
            return None
        return draft

    def start(self, now: datetime | None = None) -> DraftRow:
        """A new empty draft for this browser (added to the session, uncommitted); sets its cookie
        on the response."""
        token = secrets.token_urlsafe(24)
        setattr(g, self._g_name, token)
        now = now or utcnow()
        hours = self.hours()
        draft = self.model(
            key_hash=lookup_hash(token, self.purpose),  # type: ignore[call-arg]
            answers=json.dumps({}),
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
        db.session.add(draft)
        secure = current_app.config["SESSION_COOKIE_SECURE"]
        cookie, path = self.cookie, self.path

        @after_this_request
        def _set_cookie(response: Response) -> Response:
            response.set_cookie(cookie, token, max_age=hours * 3600, path=path, httponly=True, samesite="Lax",
                                secure=secure)
            return response

        return draft

    def forget(self) -> DraftRow | None:
        """Forget this browser's draft ("Exit this page"): its cookie is deleted on the response,
        and the row, expired or not, is returned for the caller to delete (with whatever it owns)
        and commit. None when the browser has no draft row."""
        cookie, paths = self.cookie, (self.path, *self.former_paths)
        secure = current_app.config["SESSION_COOKIE_SECURE"]

        # Registered first, so that the cookie goes even if the database cannot be reached.
        @after_this_request
        def _delete_cookie(response: Response) -> Response:
            for path in paths:
                response.delete_cookie(cookie, path=path, httponly=True, samesite="Lax", secure=secure)
            return response

        return self._row()

    @staticmethod
    def answers_of(draft: Any) -> dict[str, Any]:
        """The draft's answers as a dict (empty for None or an unreadable draft)."""
        if draft is None or not draft.answers:
            return {}
        try:
            value = json.loads(draft.answers)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    def save_answers(self, draft: Any, updates: dict[str, Any], remove: tuple[str, ...] = (),
                     *, replace: bool = False) -> dict[str, Any]:
        """Merge `updates` into the draft's answers (or replace them all when `replace`), drop the
        keys in `remove`, and keep the draft another `hours`. Returns the new answers. The caller commits."""
        answers = {} if replace else self.answers_of(draft)
        answers.update(updates)
        for key in remove:
            answers.pop(key, None)
        draft.answers = json.dumps(answers, ensure_ascii=False, separators=(",", ":"))
        draft.expires_at = utcnow() + timedelta(hours=self.hours())
        return answers

    def delete_expired(self, now: datetime) -> int:
        """Delete every draft whose expiry is before `now` (UTC); returns how many. The caller commits.

        For tables whose drafts own nothing else (tip drafts delete their photos first themselves)."""
        model: Any = self.model
        result = db.session.execute(
            delete(model).where(model.expires_at < now).execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]  # CursorResult
