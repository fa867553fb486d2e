"""Photos sent with tips: checked by decoding, size-limited, re-encoded, stripped of metadata, stored
outside the web root.

A file is judged by what Pillow can decode, never by its name or its declared type. Every photo is
re-encoded as a new JPEG from its pixels alone (a fresh image made from the raw pixel bytes, since
Pillow would otherwise carry the source's `info` into the new file), so nothing of the original file
survives: no EXIF (camera make and model, serial numbers, time), no XMP, no comments (JPEG COM
segments, GIF comments, PNG text chunks), no ICC profile, no thumbnail. The ICC profile goes too, on
purpose: a camera's or an editing program's profile names its maker and model and can be as telling
as the EXIF; the cost is that a wide-gamut photo's colours look a little duller to staff.
Only when the person chooses to keep the location is the GPS block of the original EXIF copied
into the new file, and nothing else with it. The files are written to TIP_PHOTO_DIR (default
`instance/tip-photos`, outside `static/`) under random names, and served only to staff.

The same folder keeps the files staff attach to an item (`portal.core.attachments`: photos cleaned
here, PDFs rewritten there), through the same helpers: `store_file`, `stored_path` and
`delete_stored_file` know a stored name by its form (32 random hex digits and a suffix of
STORED_SUFFIXES), whatever the file holds.
"""

from __future__ import annotations

import io
import os
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from PIL.ExifTags import IFD, Base

# Formats a phone or a browser produces; anything else (including a "photo" that is really an
# HTML page or a PDF) is refused.
ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF", "MPO"})
MAX_PHOTOS = 5
# Pixels one photo may have, read from its header before anything is decoded. Phone cameras save
# 12 MP, or 24 MP (5712 x 4284) on recent ones, by default; more is a poster or a decompression
# bomb. A 25 MP RGB image takes 75 MB once decoded.
MAX_PIXELS = 25_000_000
# Pixels decoded for all the photos of one request together (a JPEG counts at the reduced size
# it is decoded at, see `clean_photo`): five 12 MP phone photos fit, three 25 MP PNGs do; five
# large PNGs cannot cost seconds of CPU and gigabytes of memory.
MAX_REQUEST_PIXELS = 75_000_000
# Staff need to read faces and number plates, not print posters.
MAX_SIDE = 2560
JPEG_QUALITY = 85

# EXIF orientation -> the transpose that makes the pixels upright (EXIF 2.3, tag 0x0112; the same
# table as Pillow's ImageOps.exif_transpose, which also rewrites the EXIF we throw away).
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class PhotoRefused(ValueError):
    """The upload cannot be kept.

    `reason`: 'not_image' (not decodable as one of ACCEPTED_FORMATS), 'too_large' (more bytes than
    allowed), 'too_many_pixels' (more than MAX_PIXELS) or 'over_budget' (fits on its own, but not
    within what is left of the request's MAX_REQUEST_PIXELS).
    """

    def __init__(self, reason: str, size: tuple[int, int] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.size = size  # (width, height) in pixels, for 'too_many_pixels' when the header gave it


@dataclass(frozen=True)
class CleanPhoto:
    """A re-encoded photo: JPEG bytes, their pixel size, and how many pixels were decoded to make it."""

    data: bytes
    width: int
    height: int
    kept_location: bool
    decoded_pixels: int


def clean_photo(
    raw: bytes, *, keep_location: bool, max_bytes: int, pixel_budget: int = MAX_REQUEST_PIXELS
) -> CleanPhoto:
    """Decode `raw`, and return it upright, at most MAX_SIDE pixels on its longest side, re-encoded
    as a JPEG without metadata.

    `keep_location`: copy the original's GPS block (and only it) into the new file; a damaged GPS
    block loses the location, not the photo. `max_bytes`: the largest upload accepted.
    `pixel_budget`: the pixels this request may still decode (the caller subtracts each result's
    `decoded_pixels`). The size is read from the header before any pixel is decoded; a large JPEG
    is decoded at 1/2, 1/4 or 1/8 scale (libjpeg's DCT scaling), so it costs a fraction of its size.

    Raises PhotoRefused: 'too_large' for more than `max_bytes`, 'too_many_pixels' for more than
    MAX_PIXELS, 'over_budget' for more than `pixel_budget` decoded pixels, and 'not_image' for
    anything that fails to decode or clean in any way (Pillow raises many kinds of error on
    damaged files, TypeError included, so every exception from decoding is a refusal).
    """
    if len(raw) > max_bytes:
        raise PhotoRefused("too_large")
    if not raw:
        raise PhotoRefused("not_image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as probe:  # lazy: reads the header only
                if probe.format not in ACCEPTED_FORMATS:
                    raise PhotoRefused("not_image")
                if probe.width * probe.height > MAX_PIXELS:
                    raise PhotoRefused("too_many_pixels", probe.size)
                probe.verify()
            with Image.open(io.BytesIO(raw)) as source:
                if source.format in ("JPEG", "MPO"):
                    source.draft("RGB", _fitted(source.size))
                if source.width * source.height > pixel_budget:
                    raise PhotoRefused("over_budget")
                decoded = source.width * source.height
                source.load()
                orientation = _orientation(source)
                gps_exif = _gps_exif(source) if keep_location else None
                pixels = source if source.mode == "RGB" else source.convert("RGB")
                pixels.thumbnail((MAX_SIDE, MAX_SIDE))
                if orientation in _UPRIGHT:
                    pixels = pixels.transpose(_UPRIGHT[orientation])
    except PhotoRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PhotoRefused("too_many_pixels", _declared_size(raw)) from exc
    except Exception as exc:  # untrusted bytes: whatever Pillow raises means "not a photo we can use"
        raise PhotoRefused("not_image") from exc
    # A new image from the raw pixels alone: Pillow carries `info` (a JPEG's COM segment, a GIF's
    # comment, a PNG's tEXt "comment", XMP, the ICC profile) through convert, thumbnail and
    # transpose, and its JPEG writer saves the comment and XMP it finds there.
    bare = Image.frombytes("RGB", pixels.size, pixels.tobytes())
    out = io.BytesIO()
    options: dict = {"format": "JPEG", "quality": JPEG_QUALITY, "optimize": True}
    if gps_exif:
        options["exif"] = gps_exif
    bare.save(out, **options)
    return CleanPhoto(
        data=out.getvalue(), width=pixels.width, height=pixels.height, kept_location=bool(gps_exif),
        decoded_pixels=decoded,
    )


def print_copy(jpeg: bytes, max_side: int) -> bytes:
    """A copy of a cleaned photo (`jpeg`: what `clean_photo` made) to print: at most `max_side`
    pixels on its longest side, re-encoded as a JPEG without metadata; `jpeg` itself when it is
    no larger. Raises PhotoRefused('not_image') when `jpeg` does not decode."""
    try:
        with Image.open(io.BytesIO(jpeg)) as source:
            if max(source.size) <= max_side:
                return jpeg
            source.draft("RGB", (max_side, max_side))
            pixels = source if source.mode == "RGB" else source.convert("RGB")
            pixels.thumbnail((max_side, max_side))
            bare = Image.frombytes("RGB", pixels.size, pixels.tobytes())
    except Exception as exc:  # a stored file that does not decode: the caller names it instead
        raise PhotoRefused("not_image") from exc
    out = io.BytesIO()
    bare.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()


def _declared_size(raw: bytes) -> tuple[int, int] | None:
    """The width and height an image's header declares, for the message about an image far too
    large for Image.open (which refuses it before telling its size). None when unreadable."""
    Image.preinit()
    for name in sorted(ACCEPTED_FORMATS):
        factory, accept = Image.OPEN.get(name, (None, None))
        if factory is None or (accept is not None and not accept(raw[:16])):
            continue
        try:
            return factory(io.BytesIO(raw), None).size  # type: ignore[arg-type]  # PIL plugins take no filename; the plugin reads the header only
        except Exception:  # noqa: S112 - any plugin error means "size unknown": try the next
            continue
    return None


def _fitted(size: tuple[int, int]) -> tuple[int, int]:
    """`size` scaled down (never up) to fit in MAX_SIDE x MAX_SIDE, keeping its proportions."""
    width, height = size
    scale = min(1.0, MAX_SIDE / max(width, height, 1))
    return max(1, int(width * scale)), max(1, int(height * scale))


def _orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(Base.Orientation, 1)
    except Exception:  # a damaged EXIF block: keep the photo as its pixels are stored
        return 1
    return value if isinstance(value, int) else 1


def _gps_exif(image: Image.Image) -> bytes | None:
    """A new EXIF block holding only the original's GPS block, or None when there is none or it is damaged."""
    gps = _gps_block(image)
    if not gps:
        return None
    exif = Image.Exif()
    exif[IFD.GPSInfo] = gps
    try:
        return exif.tobytes()
    except Exception:  # values Pillow cannot write back: keep the photo, lose the location
        return None


def _gps_block(image: Image.Image) -> dict | None:
    try:
        gps = dict(image.getexif().get_ifd(IFD.GPSInfo))
    except Exception:  # a damaged EXIF block: keep the photo, lose the location
        return None
    return gps or None


# The suffixes of stored files: cleaned photos (JPEG) and rewritten PDFs (case-file attachments).
STORED_SUFFIXES = (".jpg", ".pdf")


def store_file(data: bytes, folder: str, suffix: str) -> str:
    """Write `data` to `folder` (created, owner-only, if missing) under a new random name ending in
    `suffix` (one of STORED_SUFFIXES); return the name. Raises ValueError for another suffix."""
    if suffix not in STORED_SUFFIXES:
        raise ValueError(f"not a stored file suffix: {suffix!r}")
    directory = Path(folder)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = secrets.token_hex(16) + suffix
    fd = os.open(directory / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return name


def store_photo(photo: CleanPhoto, folder: str) -> str:
    """Write `photo` to `folder` (created, owner-only, if missing) under a new random name; return the name."""
    return store_file(photo.data, folder, ".jpg")


def stored_path(folder: str, stored_name: str) -> Path:
    """The path of a file `store_file` wrote. Raises ValueError for a name that is not one it makes
    (so that no name read from a request or a row can reach outside `folder`)."""
    stem, dot, suffix = stored_name.partition(".")
    if dot + suffix not in STORED_SUFFIXES or len(stem) != 32 or not all(c in "0123456789abcdef" for c in stem):
        raise ValueError("not a stored file name")
    return Path(folder) / stored_name


def photo_path(folder: str, stored_name: str) -> Path:
    """The path of a stored photo. Raises ValueError for a name that is not one `store_photo` makes."""
    if not stored_name.endswith(".jpg"):
        raise ValueError("not a stored photo name")
    return stored_path(folder, stored_name)


def delete_stored_file(folder: str, stored_name: str) -> None:
    """Remove a stored file (a photo or an attachment); a file already gone is not an error."""
    try:
        stored_path(folder, stored_name).unlink()
    except (FileNotFoundError, ValueError):
        pass


def delete_photo_file(folder: str, stored_name: str) -> None:
    """Remove a stored photo's file; a file already gone is not an error."""
    delete_stored_file(folder, stored_name)
