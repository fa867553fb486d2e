"""Photos sent with tips: checked by decoding, size-limited, re-encoded, stripped of metadata, stored
outside the web root.

A file is judged by what Pillow can decode, never by its name or its declared type. Every photo is
re-encoded as a new JPEG from its pixels alone, so nothing of the original file survives: no EXIF
(camera make and model, serial numbers, time), no XMP, no comments, no ICC profile, no thumbnail.
Only when the person chooses to keep the location is the GPS block of the original EXIF copied
into the new file, and nothing else with it. The files are written to TIP_PHOTO_DIR (default
`instance/tip-photos`, outside `static/`) under random names, and served only to staff.
"""

from __future__ import annotations

import io
import os
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError
from PIL.ExifTags import IFD

# Formats a phone or a browser produces; anything else (including a "photo" that is really an
# HTML page or a PDF) is refused.
ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF", "MPO"})
MAX_PHOTOS = 5
# Larger than any phone camera; a bigger image is a decompression bomb, not a photo.
MAX_PIXELS = 60_000_000
# Staff need to read faces and number plates, not print posters.
MAX_SIDE = 2560
JPEG_QUALITY = 85


class PhotoRefused(ValueError):
    """The upload cannot be kept. `reason`: 'not_image' or 'too_large'."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class CleanPhoto:
    """A re-encoded photo: JPEG bytes and their pixel size."""

    data: bytes
    width: int
    height: int
    kept_location: bool


def clean_photo(raw: bytes, *, keep_location: bool, max_bytes: int) -> CleanPhoto:
    """Decode `raw`, and return it re-encoded as a JPEG without metadata.

    `keep_location`: copy the original's GPS block (and only it) into the new file.
    `max_bytes`: the largest upload accepted. Raises PhotoRefused('too_large') for a bigger file
    or one of more than MAX_PIXELS pixels, PhotoRefused('not_image') for anything Pillow cannot
    decode as one of ACCEPTED_FORMATS.
    """
    if len(raw) > max_bytes:
        raise PhotoRefused("too_large")
    if not raw:
        raise PhotoRefused("not_image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as probe:
                if probe.format not in ACCEPTED_FORMATS:
                    raise PhotoRefused("not_image")
                if probe.width * probe.height > MAX_PIXELS:
                    raise PhotoRefused("too_large")
                probe.verify()
            with Image.open(io.BytesIO(raw)) as source:
                source.load()
                gps = _gps_block(source) if keep_location else None
                # Turn the pixels upright first: the orientation tag goes with the rest of the EXIF.
                upright = ImageOps.exif_transpose(source)
                pixels = upright.convert("RGB")
    except PhotoRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PhotoRefused("too_large") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise PhotoRefused("not_image") from exc
    pixels.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    options: dict = {"format": "JPEG", "quality": JPEG_QUALITY, "optimize": True}
    if gps:
        exif = Image.Exif()
        exif[IFD.GPSInfo] = gps
        options["exif"] = exif.tobytes()
    pixels.save(out, **options)
    return CleanPhoto(data=out.getvalue(), width=pixels.width, height=pixels.height, kept_location=bool(gps))


def _gps_block(image: Image.Image) -> dict | None:
    try:
        gps = dict(image.getexif().get_ifd(IFD.GPSInfo))
    except Exception:  # a damaged EXIF block: keep the photo, lose the location
        return None
    return gps or None


def store_photo(photo: CleanPhoto, folder: str) -> str:
    """Write `photo` to `folder` (created, owner-only, if missing) under a new random name; return the name."""
    directory = Path(folder)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = secrets.token_hex(16) + ".jpg"
    fd = os.open(directory / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(photo.data)
    return name


def photo_path(folder: str, stored_name: str) -> Path:
    """The path of a stored photo. Raises ValueError for a name that is not one `store_photo` makes."""
    if len(stored_name) != 36 or not stored_name.endswith(".jpg") or not all(
        c in "0123456789abcdef" for c in stored_name[:32]
    ):
        raise ValueError("not a stored photo name")
    return Path(folder) / stored_name


def delete_photo_file(folder: str, stored_name: str) -> None:
    """Remove a stored photo's file; a file already gone is not an error."""
    try:
        photo_path(folder, stored_name).unlink()
    except (FileNotFoundError, ValueError):
        pass
