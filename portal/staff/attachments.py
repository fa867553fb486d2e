"""Attachments on the staff item page: attach a photo or a PDF (an edit of the item), and
download one (a view of it, audited). The section itself is `templates/staff/_item_attachments.html`,
its rows read by `portal.staff.views.render_item`.

Both routes answer 404 for an item outside the account's scope, and for an attachment that is not
the item's, exactly as for one that does not exist. A file is only ever sent as a download
(`Content-Disposition: attachment`, `nosniff`, `no-store`): the browser never shows it inside a
portal page, so nothing in it can act with the portal's origin.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from flask import abort, current_app, flash, redirect, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.http import dump_options_header
from werkzeug.wrappers import Response

from portal.core import audit
from portal.core.attachments import ACTIVE_CONTENT, PDF, SUFFIXES, AttachmentRefused, download_name, safe_file_name
from portal.core.extensions import db
from portal.core.i18n import format_file_size, join_list
from portal.core.permissions import Permission, requires
from portal.core.redaction_marks import show_marks
from portal.staff.blueprint import bp
from portal.staff.forms import AttachmentForm
from portal.staff.labels import LABELS, label
from portal.staff.views import render_item, visible_item_or_404
from portal.triage import attachments

# The audit trail and the page name these; the words live with the code that records them.
LABELS["action"].update({
    "attachment_added": _l("Attached a file"),
    "download_attachment": _l("Downloaded an attachment"),
})
LABELS["field"].update({"attachment": _l("Attachment"), "attachments": _l("Attachments"),
                        "attachment_names": _l("Names of attached files")})
LABELS["attachment_kind"] = {"image": _l("Photo"), "pdf": _l("PDF")}
# What was taken out of a PDF (portal.core.attachments.ACTIVE_CONTENT), as the page says it.
LABELS["pdf_removed"] = {
    "javascript": _l("scripts"),
    "open_action": _l("an action on opening"),
    "additional_actions": _l("actions on events"),
    "external_actions": _l("links and actions that reach outside the file"),
    "multimedia": _l("sound and video"),
    "embedded_files": _l("files carried inside it"),
    "forms": _l("form fields (their values are kept on the page)"),
}
MIME_TYPES = {"image": "image/jpeg", "pdf": "application/pdf"}


def refusal_message(refused: AttachmentRefused, name: str, max_bytes: int) -> str:
    """What the item page says when an upload is refused: what is wrong and what to do."""
    name = name or _("The file")
    return {
        "erased": lambda: _("This item's personal details were erased, so nothing more can be attached to it."),
        "empty": lambda: _("%(name)s is empty. Choose the file again, or another one.", name=name),
        "too_large": lambda: _("%(name)s is too large. Attach a file smaller than %(size)s.",
                               name=name, size=format_file_size(max_bytes)),
        "not_accepted": lambda: _("%(name)s is not a photo or a PDF. Attach a JPG, PNG, WEBP or GIF photo, or a PDF.",
                                  name=name),
        "too_many_pixels": lambda: _("%(name)s has too many pixels. Attach a smaller photo, of at most 25 megapixels.",
                                     name=name),
        "not_pdf": lambda: _("%(name)s could not be read as a PDF. It may be damaged: save or print it as a new PDF, "
                             "then attach that.", name=name),
        "encrypted": lambda: _("%(name)s is protected by a password. Save it again without the password, then attach "
                               "it.", name=name),
        "not_cleanable": lambda: _("%(name)s holds content the portal could not remove. Print it to a new PDF, then "
                                   "attach that.", name=name),
    }.get(refused.reason, lambda: _("%(name)s could not be attached. Try another file.", name=name))()


def too_large_message() -> str:
    """What the item page says when a post was larger than the app reads at all (Flask's
    MAX_CONTENT_LENGTH): nothing of it was received (portal.errors)."""
    size = format_file_size(current_app.config["SETTINGS"].attachment_max_bytes)
    return _("The file was too large, so nothing was attached. Attach a file smaller than %(size)s.", size=size)


@bp.post("/items/<reference>/attachments")
@requires(Permission.EDIT_ITEM)
def add_attachment(reference: str) -> Response | tuple[str, int]:
    """Attach a photo or a PDF to the item, cleaned (portal.core.attachments); audited."""
    found = visible_item_or_404(reference)
    form = AttachmentForm()
    if not form.validate_on_submit():
        return render_item(found, form, 400)
    upload = form.attachment.data
    max_bytes = current_app.config["SETTINGS"].attachment_max_bytes
    raw = upload.stream.read(max_bytes + 1)  # one byte more tells "too large" without reading it all
    try:
        row, cleaned = attachments.add_attachment(found, file_name=upload.filename, raw=raw, actor_id=current_user.id)
    except AttachmentRefused as refused:
        db.session.rollback()
        form.attachment.errors = [refusal_message(refused, safe_file_name(upload.filename), max_bytes)]
        return render_item(found, form, 400)
    try:
        db.session.commit()
    except Exception:
        attachments.discard(row)
        raise
    name = row.original_name or _("The file")
    if cleaned.kind == PDF and cleaned.removed:
        removed = join_list([label("pdf_removed", key) for key in ACTIVE_CONTENT if key in cleaned.removed])
        flash(_("%(name)s is attached. Removed from the PDF: %(removed)s.", name=name, removed=removed))
    else:
        flash(_("%(name)s is attached.", name=name))
    return redirect(url_for("staff.item", reference=found.reference) + "#attachments", 303)


@bp.get("/items/<reference>/attachments/<int:attachment_id>")
@requires(Permission.VIEW_ITEM)
def download_attachment(reference: str, attachment_id: int) -> Response:
    """The cleaned file of one attachment of the item, as a download; every download is audited."""
    found = visible_item_or_404(reference)
    row = attachments.attachment_of(found, attachment_id)
    if row is None:
        abort(404)
    try:
        path = attachments.attachment_path(row)
    except ValueError:
        abort(404)
    if not path.is_file():
        abort(404)
    audit.record("download_attachment", actor_id=current_user.id, item_id=found.id, fields=["attachment"],
                 numbers={"attachment_id": row.id})
    db.session.commit()
    fallback = f"{found.reference}-{row.id}"
    name = download_name(show_marks(row.original_name or ""), row.kind, fallback)
    response = send_file(path, mimetype=MIME_TYPES[row.kind], as_attachment=True, max_age=0, conditional=False,
                         download_name=name)
    # Browsers read the name from `filename*` (UTF-8). Programs that read only the plain
    # `filename` would get what is left of the name in ASCII, for a Chinese name only ".pdf":
    # they get the reference and the attachment's number instead.
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    if not download_name(plain, row.kind, "").removesuffix(SUFFIXES[row.kind]).strip(" ."):
        response.headers["Content-Disposition"] = dump_options_header("attachment", {
            "filename": fallback + SUFFIXES[row.kind], "filename*": "UTF-8''" + quote(name, safe="!#$&+^`|~")})
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response
