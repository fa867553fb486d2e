"""Turning uploaded files into stored, cleaned `TipPhoto` rows, with a message for each refusal."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from flask import current_app
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from portal.core.models import TipPhoto
from portal.core.photos import MAX_PHOTOS, MAX_PIXELS, MAX_REQUEST_PIXELS, CleanPhoto, PhotoRefused, clean_photo, delete_photo_file, store_photo


@dataclass
class UploadResult:
    """Photos stored (rows not yet added to the session) and the errors to show, in order."""

    photos: list[TipPhoto] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def chosen_files(files: Iterable[FileStorage]) -> list[FileStorage]:
    """The files a person actually chose (a file input left empty still sends one nameless part)."""
    return [f for f in files if f is not None and (f.filename or f.content_length)]


def save_uploads(
    files: Iterable[FileStorage], *, keep_location: bool, already: int, all_or_nothing: bool = False
) -> UploadResult:
    """Clean each chosen file, then store the ones that passed; refuse any beyond MAX_PHOTOS
    counting `already` stored ones.

    Every file is checked and cleaned before any is written, so a refusal never leaves a file
    behind: with `all_or_nothing`, one refusal stores none; otherwise the good ones are stored
    and returned (their rows are the caller's to add). If writing fails, the files of this
    request already written are deleted and the error is raised.

    Reads at most TIP_PHOTO_MAX_MB (+1 byte) of each file. Together the files may decode at most
    MAX_REQUEST_PIXELS pixels. The uploaded file's name is used only in the error message of the
    request that sent it; it is never stored.
    """
    settings = current_app.config["SETTINGS"]
    max_bytes = settings.tip_photo_max_mb * 1024 * 1024
    result = UploadResult()
    cleaned: list[CleanPhoto] = []
    budget = MAX_REQUEST_PIXELS
    for upload in chosen_files(files):
        name = (upload.filename or "").rsplit("/", 1)[-1][:80] or _("The file")
        if already + len(cleaned) >= MAX_PHOTOS:
            result.errors.append(_("You can add up to %(count)s photos", count=MAX_PHOTOS))
            break
        raw = upload.stream.read(max_bytes + 1)
        try:
            photo = clean_photo(raw, keep_location=keep_location, max_bytes=max_bytes, pixel_budget=budget)
        except PhotoRefused as refused:
            result.errors.append(_refusal_message(refused, name, settings.tip_photo_max_mb))
            continue
        budget -= photo.decoded_pixels
        cleaned.append(photo)
    if result.errors and all_or_nothing:
        return result
    folder = settings.tip_photo_dir
    try:
        for photo in cleaned:
            result.photos.append(_stored(photo, folder))
    except BaseException:
        discard(result.photos)
        raise
    return result


def save_photo_bytes(raw: bytes, *, keep_location: bool) -> TipPhoto:
    """Clean one photo given as bytes (a picture sent by MMS, downloaded by the worker) and store
    it, as `save_uploads` does a file; return its row (not yet added to the session).

    Raises PhotoRefused (see `clean_photo`): more than TIP_PHOTO_MAX_MB, more than MAX_PIXELS, or
    not an image. OSError when the file cannot be written.
    """
    settings = current_app.config["SETTINGS"]
    photo = clean_photo(raw, keep_location=keep_location, max_bytes=settings.tip_photo_max_mb * 1024 * 1024)
    return _stored(photo, settings.tip_photo_dir)


def _stored(photo: CleanPhoto, folder: str) -> TipPhoto:
    """Write a cleaned photo to `folder` and return its row (not added to the session)."""
    return TipPhoto(
        stored_name=store_photo(photo, folder),
        width=photo.width,
        height=photo.height,
        byte_size=len(photo.data),
        kept_location=photo.kept_location,
    )


def _refusal_message(refused: PhotoRefused, name: str, max_mb: int) -> str:
    if refused.reason == "too_large":
        return _("%(name)s is too large. Each photo must be smaller than %(mb)s MB", name=name, mb=max_mb)
    if refused.reason == "too_many_pixels":
        megapixels = MAX_PIXELS // 1_000_000
        if refused.size:
            return _(
                "%(name)s has too many pixels (%(width)s × %(height)s). Choose a photo of at most "
                "%(megapixels)s megapixels, or take a screenshot of it",
                name=name, width=refused.size[0], height=refused.size[1], megapixels=megapixels,
            )
        return _(
            "%(name)s has too many pixels. Choose a photo of at most %(megapixels)s megapixels, "
            "or take a screenshot of it",
            name=name, megapixels=megapixels,
        )
    if refused.reason == "over_budget":
        return _("%(name)s was not added: these photos are too big to add at once. Add it again on its own", name=name)
    return _("%(name)s is not a photo. Choose a JPG, PNG, WEBP or GIF photo", name=name)


def discard(photos: Iterable[TipPhoto]) -> None:
    """Delete the files of photos that will not be kept (their rows are the caller's to delete)."""
    folder = current_app.config["SETTINGS"].tip_photo_dir
    for photo in photos:
        delete_photo_file(folder, photo.stored_name)
