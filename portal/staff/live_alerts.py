"""Live urgent alerts: what an open staff page asks for every STAFF_ALERT_POLL_SECONDS
(`static/js/urgent-alerts.js`) to redraw the urgent banner and announce new urgent items without
a reload. Polling a small JSON answer, not server-sent events or long polling: each answer is one
short request, so gunicorn's sync workers are never held open.

Without JavaScript nothing here is used: the banner is drawn by the server on every staff page
(`templates/staff/_urgent_banner.html`), as fresh as the page.

For the accounts that may take an urgent item in hand ("I'll handle it": ACKNOWLEDGE_ALERT), the
people the banner asks to act; other accounts still see the banner on each page they open.
Scoped like the banner (`visible_items_filter`). The polling is not activity: it does not keep an
abandoned console signed in (`portal.staff.auth.not_activity`).
"""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.core import clock
from portal.core.i18n import time_ago
from portal.core.permissions import Permission, requires
from portal.core.query_args import query_id
from portal.staff.auth import not_activity
from portal.staff.blueprint import bp
from portal.staff.queue import visible_items_filter
from portal.staff.urgent_banner import urgency_reason
from portal.triage import alerts
from portal.triage.alerts import BannerLine


@bp.context_processor
def _poll_interval() -> dict[str, Any]:
    return {"alert_poll_seconds": current_app.config["SETTINGS"].staff_alert_poll_seconds}


def _line(line: BannerLine) -> dict[str, Any]:
    """One banner line as the script draws it: the item's reference and page, when it came in
    (UTC) and how long ago, and why it is urgent, in the viewer's language."""
    return {
        "alert_id": line.alert_id,
        "reference": line.reference,
        "url": url_for("staff.item", reference=line.reference),
        "received_at": line.received_at.isoformat(timespec="seconds"),
        "waited": time_ago(line.waited),
        "reason": urgency_reason(line),
        "acknowledge_url": url_for("staff.acknowledge_alert", alert_id=line.alert_id),
    }


@bp.get("/alerts/latest")
@requires(Permission.ACKNOWLEDGE_ALERT)
@not_activity
def latest_alerts() -> Response:
    """The urgent banner as JSON, for the page's script: `total` urgent items waiting, `lines`
    (the banner's lines, longest waiting first), `more` (the link to the rest, or null), and
    `new`: the items that came in after the alert `?after=ID` (the newest the page had seen when
    it was drawn), newest first, with their count, the words announcing them and `title_prefix`,
    what the script puts before the tab's title while they wait ("(1) Urgent · "). Texts are in the
    viewer's language. Two queries besides the sign-in checks, both on indexes (the alerts not
    acknowledged; the alerts after an id).

    Not audited, unlike a list of items with their words: it shows references, times, why an item
    is urgent (a fixed reason, or a word from the hotline's danger-word list) and the link to the
    item, the same as the banner on every staff page, and no personal data. Auditing every poll
    would also bury the audit log under an event every few seconds per open console."""
    now = clock.now()
    visible = visible_items_filter(current_user)
    banner = alerts.banner(visible, now)
    after = query_id(request.args.get("after")) or 0
    new = alerts.raised_after(visible, after, now)
    response = jsonify({
        "total": banner.total,
        "title": _("Urgent, nobody has it in hand yet"),
        "lines": [_line(line) for line in banner.lines],
        "more": {"text": ngettext("and %(num)d more urgent item", "and %(num)d more urgent items", banner.more),
                 "url": url_for("staff.queue", priority=0)} if banner.more else None,
        "acknowledge_label": _("I'll handle it"),
        "new": {
            "count": new.total,
            "text": ngettext("New urgent item since this page opened:", "%(num)d new urgent items since this page opened:",
                             new.total) if new.total else "",
            "lines": [_line(line) for line in new.lines],
            # Put before the page's title while they wait, so that another tab shows them.
            "title_prefix": _("(%(num)d) Urgent · ", num=new.total) if new.total else "",
        },
    })
    # The answer changes from one poll to the next and names items: never kept by a cache.
    response.headers["Cache-Control"] = "no-store"
    return response
