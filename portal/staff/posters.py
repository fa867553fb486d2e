"""Sampling posters (docs/pdf.md, "Posters"): for each site, and one for the whole deployment, an
A4 poster to print, as a page (the browser prints it) and as a PDF, in Chinese or English.

A site's poster needs PRINT_POSTERS and the site in the account's reach (admins and supervisors:
every site; site staff: their own; another site answers 404, as for one that does not exist:
`portal.staff.sampling_views.readable_site`). The deployment poster lists every active site. A
poster holds no personal data, so showing it is not audited. The PDF is made in a child process
(`portal.core.pdf.render_pdf`); when that fails or takes too long the staff member gets a page
saying so (503).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app, render_template, request, url_for
from flask_babel import force_locale, gettext as _
from werkzeug.wrappers import Response

from portal.core import pdf
from portal.core.extensions import db
from portal.core.i18n import LANGUAGES, current_language
from portal.core.models import SamplingSite
from portal.core.permissions import Permission, requires
from portal.sampling.posters import SitePoster, active_sites, hotline_for_poster, qr_code_data_uri, site_poster
from portal.staff.blueprint import bp
from portal.staff.sampling_views import readable_site, readable_sites

log = logging.getLogger(__name__)

# The PDF's styles: the page and type (pdf.css), then the poster's own (A4 without running
# header; its print page links to poster.css as well).
PDF_STYLESHEETS = ("css/pdf.css", "css/poster.css")


def public_url(endpoint: str, **values: Any) -> str:
    """The absolute public address of `endpoint`, built as the SMS links are: PUBLIC_BASE_URL
    (which includes any mount prefix) when set, else the address this request came to."""
    base = current_app.config["SETTINGS"].public_base_url or request.url_root.rstrip("/")
    return base + url_for(endpoint, **values)[len(request.script_root):]


def _hotline() -> str | None:
    return hotline_for_poster(current_app.config["SETTINGS"].published_hotline_number)


def _site_poster(site: SamplingSite) -> SitePoster:
    return site_poster(site, public_url("sampling.start_at_site", site_id=site.id))


def _deployment() -> dict[str, Any]:
    """What the deployment poster shows, in the current language: every active site and a QR
    code to the start of the booking."""
    booking_url = public_url("sampling.start")
    sites = [site_poster(site, public_url("sampling.start_at_site", site_id=site.id)) for site in active_sites()]
    return {"sites": sites, "booking_url": booking_url, "qr_code": qr_code_data_uri(booking_url)}


def _pdf_language() -> str:
    """The PDF's language: `?lang=` (zh or en) when given, else the page's."""
    asked = request.args.get("lang")
    return asked if asked in LANGUAGES else current_language()


def _pdf_response(template: str, filename: str, context: dict[str, Any], language: str,
                  page_numbers: bool) -> Response | tuple[str, int]:
    with force_locale(language):
        css = pdf.document_css(
            current_app.static_folder or "static", PDF_STYLESHEETS,
            page_words=_("Page %(page)s of %(pages)s", page=pdf.PAGE_MARK, pages=pdf.PAGES_MARK)
            if page_numbers else "",
        )
        html = render_template(template, pdf_css=css, hotline=_hotline(), **context)
    # End the read transaction before waiting for the child: nothing is held while it works.
    db.session.commit()
    try:
        data = pdf.render_pdf(html, timeout_seconds=current_app.config["SETTINGS"].pdf_timeout_seconds,
                              base_url=request.url_root)
    except pdf.PdfFailed as exc:
        log.warning("poster PDF %s not made (%s): %s", filename, exc.reason, exc.detail)
        return render_template("staff/sampling/poster_failed.html", reason=exc.reason,
                               print_url=request.path.removesuffix(".pdf")), 503
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}-{language}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/sampling/posters")
@requires(Permission.PRINT_POSTERS)
def sampling_posters() -> str:
    """The posters the staff member may print: the deployment's, and one per site in reach."""
    return render_template("staff/sampling/posters.html", sites=readable_sites())


@bp.get("/sampling/sites/<int:site_id>/poster")
@requires(Permission.PRINT_POSTERS)
def sampling_site_poster(site_id: int) -> str:
    """A site's poster as a page to print, in the page's language, with links to its PDF."""
    site = readable_site(site_id)
    return render_template("staff/sampling/poster.html", site=site, poster=_site_poster(site), hotline=_hotline())


@bp.get("/sampling/sites/<int:site_id>/poster.pdf")
@requires(Permission.PRINT_POSTERS)
def sampling_site_poster_pdf(site_id: int) -> Response | tuple[str, int]:
    """A site's poster as an A4 PDF download, in `?lang=` (zh or en; default the page's language)."""
    site = readable_site(site_id)
    language = _pdf_language()
    with force_locale(language):
        poster = _site_poster(site)
    return _pdf_response("staff/sampling/poster_pdf.html", f"poster-site-{site.id}", {"poster": poster},
                         language, page_numbers=False)


@bp.get("/sampling/poster")
@requires(Permission.PRINT_POSTERS)
def sampling_deployment_poster() -> str:
    """The whole deployment's poster as a page to print: every active site, and a QR code to the
    start of the booking."""
    return render_template("staff/sampling/deployment_poster.html", hotline=_hotline(), **_deployment())


@bp.get("/sampling/poster.pdf")
@requires(Permission.PRINT_POSTERS)
def sampling_deployment_poster_pdf() -> Response | tuple[str, int]:
    """The whole deployment's poster as an A4 PDF (more pages when the sites do not fit on one),
    in `?lang=` (zh or en; default the page's language)."""
    language = _pdf_language()
    with force_locale(language):
        context = _deployment()
    return _pdf_response("staff/sampling/deployment_poster_pdf.html", "poster-all-sites", context, language,
                         page_numbers=True)
