"""An item's case file (档案): a page to print, and the same file as a PDF (docs/pdf.md).

Both routes need VIEW_ITEM and the item in the account's scope (404 otherwise, as for the item
page); a sampling booking is not a lead and has no case file (404). The file is in the staff
member's current language. Each showing is one audit event naming the personal fields shown:
`print_case_file` for the page, `download_case_file` for a PDF delivered. The PDF is made in a
child process (`portal.core.pdf.render_pdf`); when that fails or takes too long the staff member
gets a page saying so (503), never an error trace.
"""

from __future__ import annotations

import logging

from flask import abort, current_app, render_template, request
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.core import audit, clock, pdf
from portal.core.extensions import db
from portal.core.models import ItemKind
from portal.core.permissions import Permission, requires
from portal.staff.blueprint import bp
from portal.staff.case_file import MAX_EMBEDDED_IMAGES, CaseFile, build_case_file
from portal.staff.labels import LABELS
from portal.staff.views import visible_item_or_404

log = logging.getLogger(__name__)

LABELS["action"].update({
    "print_case_file": _l("Opened the case file to print"),
    "download_case_file": _l("Downloaded the case file as a PDF"),
})

# The PDF's styles: the page (A4, fonts, margins) and the case file's own layout, which the
# print page links to as well.
PDF_STYLESHEETS = ("css/pdf.css", "css/case-file.css")


def _case_file(reference: str) -> CaseFile:
    item = visible_item_or_404(reference)
    if item.kind == ItemKind.APPOINTMENT:
        abort(404)
    settings = current_app.config["SETTINGS"]
    return build_case_file(item, viewer=current_user, timezone=settings.site_timezone,
                           photo_dir=settings.tip_photo_dir, now=clock.now())


def _record(action: str, case: CaseFile) -> None:
    audit.record(action, actor_id=current_user.id, item_id=case.item.id, fields=case.fields)
    db.session.commit()


@bp.get("/items/<reference>/case-file")
@requires(Permission.VIEW_ITEM)
def case_file(reference: str) -> str:
    """The case file as a page to print (print styles; a Print button where JavaScript runs, the
    browser's own Print command everywhere), with a link to the PDF. Audited."""
    case = _case_file(reference)
    html = render_template("staff/case_file.html", case=case, item=case.item, max_embedded_images=MAX_EMBEDDED_IMAGES)
    _record("print_case_file", case)
    return html


@bp.get("/items/<reference>/case-file.pdf")
@requires(Permission.VIEW_ITEM)
def case_file_pdf(reference: str) -> Response | tuple[str, int]:
    """The case file as a PDF download (attachment, not stored by the browser's cache). Audited
    once the PDF is made; a failure or a timeout answers 503 with a page saying what to do."""
    case = _case_file(reference)
    item = case.item
    css = pdf.document_css(
        current_app.static_folder or "static", PDF_STYLESHEETS,
        header_left=_("Case file %(reference)s", reference=item.reference),
        header_right=_("Restricted: personal details"),
        page_words=_("Page %(page)s of %(pages)s", page=pdf.PAGE_MARK, pages=pdf.PAGES_MARK),
    )
    html = render_template("staff/case_file_pdf.html", case=case, item=item, pdf_css=css,
                           max_embedded_images=MAX_EMBEDDED_IMAGES)
    # End the read transaction before waiting for the child: nothing is held while it works.
    db.session.commit()
    try:
        data = pdf.render_pdf(html, timeout_seconds=current_app.config["SETTINGS"].pdf_timeout_seconds,
                              base_url=request.url_root)
    except pdf.PdfFailed as exc:
        log.warning("case file PDF of item %s not made (%s): %s", item.id, exc.reason, exc.detail)
        return render_template("staff/case_file_failed.html", item=item, reason=exc.reason), 503
    _record("download_case_file", case)
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="case-file-{item.reference}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response
