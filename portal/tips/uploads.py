"""Turning uploaded files into stored, cleaned `TipPhoto` rows, with a message for each refusal."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from flask import current_app
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from portal.models import TipPhoto
from portal.tips.photos import MAX_PHOTOS, PhotoRefused, clean_photo, delete_photo_file, store_photo


@dataclass
class UploadResult:
    """Photos stored (rows not yet added to the session) and the errors to show, in order."""

    photos: list[TipPhoto] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def chosen_files(files: Iterable[FileStorage]) -> list[FileStorage]:
    """The files a person actually chose (a file input left empty still sends one nameless part)."""
    return [f for f in files if f is not None and (f.filename or f.content_length)]


def save_uploads(files: Iterable[FileStorage], *, keep_location: bool, already: int) -> UploadResult:
    """Clean and store each chosen file; refuse any beyond MAX_PHOTOS counting `already` stored ones.

    Reads at most TIP_PHOTO_MAX_MB (+1 byte) of each file. The uploaded file's name is used only
    in the error message of the request that sent it; it is never stored.
    """
    settings = current_app.config["SETTINGS"]
    max_bytes = settings.tip_photo_max_mb * 1024 * 1024
    result = UploadResult()
    for upload in chosen_files(files):
        name = (upload.filename or "").rsplit("/", 1)[-1][:80] or _("The file")
        if already + len(result.photos) >= MAX_PHOTOS:
            result.errors.append(_("You can add up to %(count)s photos", count=MAX_PHOTOS))
            break
        raw = upload.stream.read(max_bytes + 1)
        try:
            photo = clean_photo(raw, keep_location=keep_location, max_bytes=max_bytes)
        except PhotoRefused as refused:
            if refused.reason == "too_large":
                result.errors.append(
                    _("%(name)s is too large. Each photo must be smaller than %(mb)s MB", name=name, mb=settings.tip_photo_max_mb)
                )
            else:
                result.errors.append(_("%(name)s is not a photo. Choose a JPG, PNG, WEBP or GIF photo", name=name))
            continue
        stored = store_photo(photo, settings.tip_photo_dir)
        result.photos.append(
            TipPhoto(
                stored_name=stored,
                width=photo.width,
                height=photo.height,
                byte_size=len(photo.data),
                kept_location=photo.kept_location,
            )
        )
    return result


def discard(photos: Iterable[TipPhoto]) -> None:
    """Delete the files of photos that will not be kept (their rows are the caller's to delete)."""
    folder = current_app.config["SETTINGS"].tip_photo_dir
    for photo in photos:
        delete_photo_file(folder, photo.stored_name)
