"""Staff set or correct where an item happened and what was seen (issue 15).

The region is chosen on a page of its own that works without JavaScript, as the public "where"
questions do: search by name (the deployment's own divisions first), or go down the list from
province to city to district; one radio button per place, then "Save the region". What was seen
is a select on the item page. Both need EDIT_ITEM (working an item in scope) and are audited by
field name with the codes before and after (`portal.triage.classify`).
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.core import regions
from portal.core.extensions import db
from portal.core.models import IntakeItem, ItemKind, TipCategory
from portal.core.permissions import Permission, requires
from portal.staff.blueprint import bp
from portal.staff.forms import CategoryForm, RegionChoiceForm
from portal.staff.views import render_item, visible_item_or_404
from portal.triage.classify import NotClassifiable, change_category, change_region

UNKNOWN = "unknown"
QUERY_MAX = 50


def _region_choices(query: str, within: str | None) -> tuple[list[tuple[str, str, bool]], list[regions.Division]]:
    """The places to choose from, as (code, names, has divisions below), and the path from the
    province down to `within` (for going back up the list)."""
    if query:
        home = current_app.config["SETTINGS"].deployment_region
        return [(p.code or "", p.names, False) for p in regions.search(query, home=home)], []
    top = regions.division(within)
    if top is None:
        return [(d.code, d.name, bool(regions.children_of(d.code))) for d in regions.provinces()], []
    path: list[regions.Division] = []
    current: regions.Division | None = top
    while current is not None:
        path.insert(0, current)
        current = regions.division(current.parent)
    places = [(top.code, regions.full_name(top.code) or top.name, False)]
    places += [(d.code, d.name, bool(regions.children_of(d.code))) for d in regions.children_of(top.code)]
    return places, path


def _render_region_page(item: IntakeItem, form: RegionChoiceForm, code: int = 200) -> tuple[str, int]:
    query = (request.args.get("q") or "").strip()[:QUERY_MAX]
    within = request.args.get("within") or None
    places, path = _region_choices(query, within)
    return render_template(
        "staff/item_region.html", item=item, form=form, query=query, places=places, path=path,
        current_name=regions.full_name(item.region_code), unknown=UNKNOWN,
    ), code


@bp.route("/items/<reference>/region", methods=["GET", "POST"])
@requires(Permission.EDIT_ITEM)
def item_region(reference: str) -> Response | tuple[str, int]:
    """Choose the item's region: search by name, or go down from province to district, then save.
    The page shows no personal data (only the region), so opening it is not an audited view."""
    found = visible_item_or_404(reference)
    if found.kind == ItemKind.APPOINTMENT:
        abort(404)
    form = RegionChoiceForm() if request.method == "POST" else RegionChoiceForm(formdata=None)
    if request.method == "GET":
        return _render_region_page(found, form)
    chosen = form.region.data if form.validate_on_submit() else None
    if chosen is not None and chosen != UNKNOWN and regions.division(chosen) is None:
        chosen = None
    if chosen is None:
        if not form.region.errors:
            form.region.errors = [_("Choose the region, or Not known")]
        return _render_region_page(found, form, 400)
    try:
        changed = change_region(found, code=None if chosen == UNKNOWN else chosen, actor_id=current_user.id)
    except NotClassifiable:
        abort(400)
    db.session.commit()
    flash(_("Region changed") if changed else _("Nothing was changed"))
    return redirect(url_for("staff.item", reference=found.reference), 303)


@bp.post("/items/<reference>/category")
@requires(Permission.EDIT_ITEM)
def change_item_category(reference: str) -> Response | tuple[str, int]:
    """Set or correct what was seen (a tip's category)."""
    found = visible_item_or_404(reference)
    if found.tip is None:
        abort(404)
    form = CategoryForm()
    if not form.validate_on_submit():
        return render_item(found, form, 400)
    changed = change_category(found, category=TipCategory(form.category.data), actor_id=current_user.id)
    db.session.commit()
    flash(_("What was seen changed") if changed else _("Nothing was changed"))
    return redirect(url_for("staff.item", reference=found.reference), 303)

