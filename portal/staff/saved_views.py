"""Saved views of the queue: the queue's filters kept under a name, for oneself or shared with
one's working group (`SavedView`), listed on the queue page (`templates/staff/_saved_views.html`)
as links that apply them.

A view keeps only what the queue's filter form (`QueueFilterForm`) accepts: its filters are
cleaned when the view is saved and again each time its link is made (`clean_query`), so a view
saved with a tampered query string, or one whose working group or officer has gone since, can
carry nothing the queue would not take from its own form.

Who sees a view: its owner, and, when it is shared, every account whose working group
(`StaffUser.working_group_id`, one group per account) is the view's group. Nobody else: not
other groups, not accounts without a group; and once its owner is switched off or has moved to
another group, not the group either (its owner keeps it as their own). Deleting is for the owner alone; anyone else's view
answers 404, as if it did not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response
from wtforms import BooleanField, HiddenField, StringField
from wtforms.fields.core import UnboundField
from wtforms.validators import DataRequired, Length

from portal.core import audit
from portal.core.extensions import db
from portal.core.models import SavedView, StaffUser
from portal.core.models.saved_views import SAVED_VIEW_NAME_MAX
from portal.core.permissions import Permission, requires
from portal.forms import PortalForm
from portal.staff.blueprint import bp
from portal.staff.forms import QueueFilterForm
from portal.staff.views import filter_groups, filter_owners

# Enough for every way of slicing the queue a person returns to; a list longer than this on the
# queue page would no longer be read.
MAX_VIEWS_PER_ACCOUNT = 30
# The query-string keys a view may keep: the queue filter form's fields (never `after`, a page
# cursor, nor anything else a tampered request adds).
FILTER_KEYS = tuple(name for name, value in vars(QueueFilterForm).items() if isinstance(value, UnboundField))


class SavedViewForm(PortalForm):
    """Save the filters of the queue page (`filters`, its query string) under a name, shared with
    the account's working group when `share` is ticked (and the account has one)."""

    # Ids of their own, so that nothing else on the queue page (the filters) can share them.
    name = StringField(
        _l("Name of this view"), id="view-name",
        validators=[DataRequired(_l("Enter a name for this view")),
                    Length(max=SAVED_VIEW_NAME_MAX,
                           message=_l("Name must be %(max)d characters or fewer", max=SAVED_VIEW_NAME_MAX))],
    )
    share = BooleanField(_l("Share with my working group"), id="view-share")
    filters = HiddenField(id="view-filters")


class DeleteViewForm(PortalForm):
    """Delete one of one's views; `filters` is the queue page to go back to."""

    filters = HiddenField()


def _filter_choices(keys: set[str]) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """The working groups and officers the signed-in account's filter form offers (as the queue
    scopes them: a group member's name no other group or its people), each read (once per
    request) only when `keys` has the filter that needs it: most views filter on neither."""
    cache = g.setdefault("_saved_view_choices", {})
    if "group" in keys and "group" not in cache:
        cache["group"] = filter_groups(current_user)
    if "owner" in keys and "owner" not in cache:
        cache["owner"] = filter_owners(current_user)
    return cache.get("group", []), cache.get("owner", [])


def _kept(form: QueueFilterForm, given: set[str]) -> str:
    """The filters of a validated `form` that were `given` and are valid and not empty, as a
    query string in the form's order (True as "y", days as YYYY-MM-DD)."""
    kept: list[tuple[str, str]] = []
    for name in FILTER_KEYS:
        field = form[name]
        if name not in given or field.errors or field.data in (None, "", False):
            continue
        if field.data is True:
            kept.append((name, "y"))
        elif isinstance(field.data, date):
            kept.append((name, field.data.isoformat()))
        else:
            kept.append((name, str(field.data)))
    return urlencode(kept)


def clean_query(raw: str) -> str:
    """`raw` (a query string) reduced to the queue filters it validly sets, as a query string in
    the filter form's order: unknown keys are dropped, and so are known keys whose value the
    form refuses (an unknown group or officer, a day outside 1900-2999, an over-long search) or
    leaves empty; a key given twice keeps its first value, as the queue reads it."""
    pairs = [(key, value) for key, value in parse_qsl(raw or "", keep_blank_values=False) if key in FILTER_KEYS]
    given = {key for key, _value in pairs}
    groups, officers = _filter_choices(given)
    form = QueueFilterForm(MultiDict(pairs), groups=groups, owners=officers)
    form.validate()
    return _kept(form, given)


def visible_views(user: StaffUser) -> tuple[list[SavedView], list[SavedView]]:
    """`user`'s own views, and the views others shared with `user`'s working group (none without
    a group) while they are active members of it, each by name. One query."""
    # Shared only while its owner is active and still in the group: nobody else may delete it,
    # so a view of someone switched off or moved away would otherwise stay in the group for good.
    owner_still_in_group = (select(StaffUser.id)
                            .where(StaffUser.id == SavedView.owner_id, StaffUser.active.is_(True),
                                   StaffUser.working_group_id == SavedView.shared_with_group_id)
                            .exists())
    shared = (and_(SavedView.shared_with_group_id == user.working_group_id, SavedView.owner_id != user.id,
                   owner_still_in_group)
              if user.working_group_id is not None else None)
    condition = or_(SavedView.owner_id == user.id, shared) if shared is not None else SavedView.owner_id == user.id
    views = db.session.scalars(
        select(SavedView).options(joinedload(SavedView.owner), joinedload(SavedView.shared_with_group))
        .where(condition).order_by(SavedView.name, SavedView.id)
    ).all()
    return [v for v in views if v.owner_id == user.id], [v for v in views if v.owner_id != user.id]


class DuplicateViewName(ValueError):
    """The owner already has a view of that name."""


class TooManyViews(ValueError):
    """The owner already has MAX_VIEWS_PER_ACCOUNT views."""


def save_view(user: StaffUser, name: str, raw_query: str, *, share: bool) -> SavedView:
    """Save the queue filters in `raw_query` (cleaned: `clean_query`) as `user`'s view `name`
    (already trimmed and at most SAVED_VIEW_NAME_MAX characters: the form's job), shared with
    `user`'s working group when `share` and the account has one. Audited; the caller commits.

    Raises DuplicateViewName when `user` has a view of that name (also when another request saves
    the same name at the same instant: the unique constraint), TooManyViews at the limit."""
    mine = select(SavedView.name).where(SavedView.owner_id == user.id)
    names = set(db.session.scalars(mine))
    if name in names:
        raise DuplicateViewName(name)
    if len(names) >= MAX_VIEWS_PER_ACCOUNT:
        raise TooManyViews(name)
    view = SavedView(owner_id=user.id, name=name, query=clean_query(raw_query),
                     shared_with_group_id=user.working_group_id if share else None)
    try:
        with db.session.begin_nested():
            db.session.add(view)
    except IntegrityError as error:
        raise DuplicateViewName(name) from error
    # Ids only: a view's name is free text and could name a person.
    audit.record("saved_view_created", actor_id=user.id,
                 changes={"working_group_id": (None, view.shared_with_group_id)} if view.shared_with_group_id else None,
                 numbers={"saved_view_id": view.id})
    return view


def delete_view(user: StaffUser, view_id: int) -> SavedView | None:
    """Delete `user`'s own view `view_id`, audited (caller commits); None, deleting nothing, when
    it is not theirs or does not exist."""
    view = db.session.scalar(select(SavedView).where(SavedView.id == view_id, SavedView.owner_id == user.id))
    if view is None:
        return None
    db.session.delete(view)
    audit.record("saved_view_deleted", actor_id=user.id, numbers={"saved_view_id": view_id})
    return view


@dataclass(frozen=True)
class ViewLink:
    """A saved view as the queue page lists it: its link (filters cleaned again), whether it is
    the page being shown, and, for another person's view, who shared it."""

    view: SavedView
    query: str
    current: bool


@dataclass(frozen=True)
class SavedViewsPanel:
    """What `_saved_views.html` shows: the viewer's views and those shared with their group, the
    form to save the page's filters (`filters`, cleaned), and the viewer's group (None: no
    "share" box)."""

    mine: list[ViewLink]
    shared: list[ViewLink]
    form: SavedViewForm
    filters: str
    group_name: str | None


def panel(filter_form: QueueFilterForm, query_args: dict[str, str]) -> SavedViewsPanel:
    """The saved-views panel for the signed-in account on a queue page whose filters are
    `query_args`, as its own `filter_form` (validated) read them."""
    filters = _kept(filter_form, set(query_args))
    mine, shared = visible_views(current_user)

    def links(views: list[SavedView]) -> list[ViewLink]:
        found = []
        for view in views:
            query = clean_query(view.query)
            found.append(ViewLink(view=view, query=query, current=query == filters))
        return found

    form = SavedViewForm(formdata=None, filters=filters)
    group = current_user.working_group
    return SavedViewsPanel(mine=links(mine), shared=links(shared), form=form,
                           filters=filters, group_name=group.name if group is not None else None)


@bp.context_processor
def _saved_views_helpers() -> dict[str, Any]:
    return {"saved_views_panel": panel}


def _queue_url(filters: str) -> str:
    query = clean_query(filters)
    return url_for("staff.queue") + (f"?{query}" if query else "")


@bp.post("/queue/views")
@requires(Permission.VIEW_QUEUE)
def save_queue_view() -> Response | tuple[str, int]:
    """Save the queue page's filters under a name; back to the queue showing them. A refused name
    (missing, too long, already used) comes back on a page of its own with what was typed."""
    form = SavedViewForm()
    if form.validate_on_submit():
        try:
            view = save_view(current_user, form.name.data, form.filters.data or "",
                             share=bool(form.share.data) and current_user.working_group_id is not None)
        except DuplicateViewName:
            form.name.errors = [_("You already have a view called “%(name)s”. Enter another name.", name=form.name.data)]
        except TooManyViews:
            form.name.errors = [_("You have %(max)d saved views, the most you can keep. Delete one you no longer use, "
                                  "then save this view.", max=MAX_VIEWS_PER_ACCOUNT)]
        else:
            db.session.commit()
            if view.shared_with_group is not None:
                flash(_("View “%(name)s” saved and shared with %(group)s.", name=view.name,
                        group=view.shared_with_group.name))
            else:
                flash(_("View “%(name)s” saved.", name=view.name))
            return redirect(_queue_url(view.query), code=303)
    db.session.rollback()
    group = current_user.working_group
    return render_template("staff/saved_view_form.html", form=form, queue_url=_queue_url(form.filters.data or ""),
                           group_name=group.name if group is not None else None), 400


@bp.post("/queue/views/<int:view_id>/delete")
@requires(Permission.VIEW_QUEUE)
def delete_queue_view(view_id: int) -> Response:
    """Delete one of one's own saved views (another's, or none: 404); back to the queue page."""
    form = DeleteViewForm()
    if not form.validate_on_submit():
        abort(400)
    view = delete_view(current_user, view_id)
    if view is None:
        abort(404)
    name = view.name
    db.session.commit()
    flash(_("View “%(name)s” deleted.", name=name))
    return redirect(_queue_url(form.filters.data or ""), code=303)
