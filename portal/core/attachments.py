"""Files officers attach to an item's case file (CCTV stills, statements): photos and PDFs,
cleaned before they are kept. Pure functions on bytes; storing them is `portal.triage.attachments`.

Why clean at all: an attachment is opened later by other officers, on police computers, in
whatever viewer the computer has. A file gathered from outside (a still sent by a witness, a
statement typed elsewhere, a PDF a suspect handed over) can carry content that acts when it is
opened, or details about whoever made it. OWASP's File Upload Cheat Sheet asks for: an allow-list
of types, checked by content, never by the name or the declared type; a size limit; files
rewritten where the format allows it ("content disarm and reconstruction"); random stored names;
and files served only as downloads. This module does the checking and the rewriting.

- **Photos** (JPEG, PNG, WebP, GIF) go through `portal.core.photos.clean_photo`, exactly as a
  tipster's photos do: decoded, re-encoded as a new JPEG from the pixels alone (at most 2560 px on
  the longest side), so no EXIF (camera, serial number, time, GPS position), XMP, comment, ICC
  profile or thumbnail survives. The place a photo was taken is never kept for an attachment.
  One thing is read from the EXIF before cleaning, for the chain of custody: when the photo was
  taken (`taken_at`: DateTimeOriginal, with OffsetTimeOriginal when the camera wrote one). The
  camera model, its serial number and the GPS position are never read into anything kept.
- **PDFs** are opened with qpdf (through pikepdf) and written out as a new file without the
  active parts the PDF specification defines (ISO 32000-1:2008, 12.6 "Actions", 12.7
  "Interactive Forms", 7.11.4 "Embedded File Streams"; ISO 32000-2 14.13 "Associated files"):

  - document JavaScript (the catalog's /Names /JavaScript tree) and every JavaScript action
    (`/S /JavaScript`), wherever an action can sit: it runs when the file opens, a page shows or
    a field changes;
  - the catalog's /OpenAction, whatever it does: it is what runs on opening;
  - every /AA "additional actions" dictionary: of the document (on close, save, print), of each
    page (on open and close), of each annotation and form field (on mouse-over, focus, change);
  - actions that reach outside the file: Launch (runs a program or opens a file), GoToR and
    GoToE (open another or an embedded document), SubmitForm and ImportData (send or read form
    data), URI (open a web address: a link could tell whoever made the file when, and from which
    network, it was opened; the address stays visible where the page prints it); and the other
    ways a PDF names another file: a Thread action's /F, a stream whose data is in an external
    file (/F), a reference XObject (/Ref). A Windows share named in any of them
    (\\\\host\\share) makes the viewer connect to it with the officer's network credentials;
  - multimedia: Rendition, Movie, Sound and RichMediaExecute actions and the Movie, Sound,
    Screen, RichMedia and 3D annotations that play media (historically a source of viewer bugs);
  - embedded files: the /Names /EmbeddedFiles tree, /AF associated files, FileAttachment
    annotations, and a portfolio's /Collection view (a PDF can carry any other file inside it,
    an executable included);
  - forms: /AcroForm and its XFA (forms drawn and scripted by XML), the /NeedsRendering flag
    and the /Perms usage-rights dictionary. Form fields that show a value are first drawn into
    their page (qpdf's annotation flattening), so a filled-in statement still reads the same;
    the fields stop being fields.

  Pages, their text, images and fonts, bookmarks, links within the document and the document's
  metadata (title, author) stay. A PDF that needs a password to open is refused (it cannot be
  cleaned without it); one that opens without a password but restricts printing or copying is
  kept, unlocked. A signed PDF loses its signature's validity: the file is rewritten. After
  writing, the new file is opened again and searched, object by object, for anything of the
  list above; if anything is found the file is refused rather than kept (fail closed).

  What this does not do: render pages again. A font or an image inside a PDF that exploits a
  bug in a viewer is copied as it is; staff should open attachments in an up-to-date viewer.

  **In a child process.** `clean_attachment` hands a PDF to `python -m
  portal.core.attachment_worker` (`clean_pdf_in_child`), which runs `clean_pdf` with its memory
  bounded (CHILD_MEMORY_BYTES) and is stopped after a time limit. qpdf unpacks a whole compressed
  object stream to read one object of it, so a file of a megabyte can ask for a gigabyte (a
  decompression bomb), and a damaged or crafted file can keep a parser busy: neither may cost
  the web worker its memory or its time, or reach a bug in qpdf inside the web process.
"""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess  # noqa: S404 - one child process, started with a fixed command, no shell
import sys
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream
from pikepdf.sanitize import Sanitizer
from PIL import ExifTags, Image

from portal.core.pdf import CHILD_ENVIRONMENT, PROJECT_ROOT
from portal.core.photos import PhotoRefused, clean_photo

log = logging.getLogger(__name__)

IMAGE = "image"
PDF = "pdf"
KINDS = (IMAGE, PDF)
# The suffix a cleaned file is stored and downloaded with, by kind.
SUFFIXES = {IMAGE: ".jpg", PDF: ".pdf"}
# Characters kept of a file's name as uploaded (a file name, not a description).
MAX_NAME_LENGTH = 120
# Readers accept a PDF whose header starts within its first 1024 bytes (ISO 32000-1, annex H.3,
# implementation note 13), so a PDF is recognised by "%PDF-" there, never by its name.
PDF_HEADER_WINDOW = 1024

# What `active_content` counts (and `clean_pdf` removes), by the name the audit trail and the
# staff page use.
JAVASCRIPT = "javascript"
OPEN_ACTION = "open_action"
ADDITIONAL_ACTIONS = "additional_actions"
EXTERNAL_ACTIONS = "external_actions"
MULTIMEDIA = "multimedia"
EMBEDDED_FILES = "embedded_files"
FORMS = "forms"
ACTIVE_CONTENT = (JAVASCRIPT, OPEN_ACTION, ADDITIONAL_ACTIONS, EXTERNAL_ACTIONS, MULTIMEDIA, EMBEDDED_FILES, FORMS)

# Action types (ISO 32000-1, 12.6.4, table 198) by what they do. Actions not named here (GoTo,
# Named, Thread, Trans, SetOCGState, Hide, ResetForm, GoToDp, GoTo3DView) move within the
# document or change how it shows, and stay.
_EXTERNAL_ACTIONS = frozenset({"/Launch", "/GoToR", "/GoToE", "/SubmitForm", "/ImportData", "/URI"})
_MULTIMEDIA_ACTIONS = frozenset({"/Rendition", "/Movie", "/Sound", "/RichMediaExecute"})
# Annotation subtypes removed from their page (ISO 32000-1, 12.5.6): they hold a file or play media.
_REMOVED_ANNOTATIONS = {
    "/FileAttachment": EMBEDDED_FILES,
    "/Movie": MULTIMEDIA, "/Sound": MULTIMEDIA, "/Screen": MULTIMEDIA, "/RichMedia": MULTIMEDIA, "/3D": MULTIMEDIA,
}
# Catalog entries removed whole: forms (with XFA), usage rights, XFA's rendering flag, the portfolio view.
_REMOVED_CATALOG_ENTRIES = {"/AcroForm": FORMS, "/NeedsRendering": FORMS, "/Perms": FORMS,
                            "/Collection": EMBEDDED_FILES, "/OpenAction": OPEN_ACTION, "/AA": ADDITIONAL_ACTIONS}
# The catalog's name trees that hold scripts, files or media.
_REMOVED_NAME_TREES = {"/JavaScript": JAVASCRIPT, "/EmbeddedFiles": EMBEDDED_FILES,
                       "/Renditions": MULTIMEDIA, "/AlternatePresentations": JAVASCRIPT}

# The child that cleans a PDF (`clean_pdf_in_child`): its command, the address space it may use
# (a PDF the size of ATTACHMENT_MAX_BYTES needs a small part of it; a bomb stops there), and the
# seconds it may take unless the caller says otherwise (under gunicorn's 30).
WORKER_COMMAND: tuple[str, ...] = (sys.executable, "-m", "portal.core.attachment_worker")
CHILD_MEMORY_BYTES = 512 * 1024 * 1024
CHILD_TIMEOUT_SECONDS = 20

# Everything pikepdf's sanitizer offers for active content; `clean_pdf` removes the rest itself.
_SANITIZER = (Sanitizer().remove_javascript().remove_external_access().remove_multimedia()
              .remove_attachments().remove_collection())


class AttachmentRefused(ValueError):
    """The upload cannot be kept.

    `reason`: 'empty' (no bytes), 'too_large' (more than the limit), 'not_accepted' (neither a
    photo Pillow can decode in an accepted format nor a PDF), 'too_many_pixels' (a photo over
    `portal.core.photos.MAX_PIXELS`), 'not_pdf' (starts like a PDF but qpdf cannot read it),
    'encrypted' (a PDF that needs a password to open) or 'not_cleanable' (a PDF that still held
    active content after cleaning); 'erased' (`portal.triage.attachments`: the item's personal
    details were erased, so nothing more may be added to it).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class CleanAttachment:
    """A cleaned file ready to store: `kind` IMAGE (JPEG bytes) or PDF, and for a PDF what was
    taken out of it ({name from ACTIVE_CONTENT: how many found}; empty when nothing was). For a
    photo, `taken_at`: when it was taken by the camera's clock, as `exif_taken_at` gives it (None
    when the original did not say)."""

    kind: str
    data: bytes
    removed: dict[str, int] = field(default_factory=dict)
    taken_at: str | None = None


# EXIF writes times as "YYYY:MM:DD HH:MM:SS" (EXIF 2.32, DateTimeOriginal) and offsets as "+HH:MM"
# (OffsetTimeOriginal); anything else (blank fields, "0000:00:00 00:00:00", junk) is not a time.
_EXIF_OFFSET = re.compile(r"[+-](0\d|1[0-4]):[0-5]\d")


def exif_taken_at(raw: bytes) -> str | None:
    """When the photo `raw` was taken, read from its EXIF before it is cleaned: DateTimeOriginal
    as the camera's local time, written "YYYY-MM-DD HH:MM:SS", followed by " +HH:MM" when the
    camera also wrote OffsetTimeOriginal. Without an offset the text is the camera's clock in an
    unknown zone (naive), and is kept as such rather than guessed. None when there is no such
    field, it is not a valid time, or the file's EXIF cannot be read. Reads the header only;
    nothing else of the EXIF (GPS, camera model, serial number) is returned. Never raises."""
    try:
        with Image.open(io.BytesIO(raw)) as probe:  # lazy: the header, not the pixels
            exif = probe.getexif().get_ifd(ExifTags.IFD.Exif)
            written = exif.get(ExifTags.Base.DateTimeOriginal)
            offset = exif.get(ExifTags.Base.OffsetTimeOriginal)
    except Exception:  # untrusted bytes: a damaged header means no time; clean_photo judges the photo
        return None
    if not isinstance(written, str):
        return None
    try:
        taken = datetime.strptime(written.strip().rstrip("\x00"), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    text = taken.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(offset, str) and _EXIF_OFFSET.fullmatch(offset.strip().rstrip("\x00")):
        text += " " + offset.strip().rstrip("\x00")
    return text


def looks_like_pdf(raw: bytes) -> bool:
    """True when `raw` has a PDF header ("%PDF-") within its first PDF_HEADER_WINDOW bytes."""
    return b"%PDF-" in raw[:PDF_HEADER_WINDOW]


def clean_attachment(raw: bytes, *, max_bytes: int, timeout_seconds: float = CHILD_TIMEOUT_SECONDS) -> CleanAttachment:
    """Judge `raw` by its content and clean it: a PDF with `clean_pdf` in a child process
    (`clean_pdf_in_child`, at most `timeout_seconds`), anything else as a photo with
    `portal.core.photos.clean_photo` (the location never kept), its capture time read first
    (`exif_taken_at`).

    `max_bytes`: the largest upload accepted. Raises AttachmentRefused (see its reasons).
    """
    if not raw:
        raise AttachmentRefused("empty")
    if len(raw) > max_bytes:
        raise AttachmentRefused("too_large")
    if looks_like_pdf(raw):
        return clean_pdf_in_child(raw, max_bytes=max_bytes, timeout_seconds=timeout_seconds)
    try:
        photo = clean_photo(raw, keep_location=False, max_bytes=max_bytes)
    except PhotoRefused as refused:
        reason = {"too_large": "too_large", "too_many_pixels": "too_many_pixels",
                  "over_budget": "too_many_pixels"}.get(refused.reason, "not_accepted")
        raise AttachmentRefused(reason) from refused
    return CleanAttachment(kind=IMAGE, data=photo.data, taken_at=exif_taken_at(raw))


def clean_pdf_in_child(raw: bytes, *, max_bytes: int, timeout_seconds: float = CHILD_TIMEOUT_SECONDS) -> CleanAttachment:
    """`clean_pdf(raw)` run by `python -m portal.core.attachment_worker`, whose address space is
    limited to CHILD_MEMORY_BYTES, stopped after `timeout_seconds`. The child gets the PDF on its
    standard input and only the environment variables a program needs (never the portal's keys);
    it answers one line of JSON, then the cleaned file.

    Raises AttachmentRefused as `clean_pdf` does; a child that runs out of memory or time, or
    fails in any other way, is 'not_pdf' (logged). Blocks the calling thread while the child runs.
    """
    command = [*WORKER_COMMAND, "--max-bytes", str(max_bytes), "--memory-bytes", str(CHILD_MEMORY_BYTES)]
    environment = {name: os.environ[name] for name in CHILD_ENVIRONMENT if name in os.environ}
    try:
        done = subprocess.run(  # noqa: S603 - a fixed command; the file goes through stdin
            command, input=raw, capture_output=True, timeout=timeout_seconds, cwd=PROJECT_ROOT, env=environment,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:  # run() has killed the child and waited for it
        log.warning("a PDF attachment was not cleaned within %s s", timeout_seconds)
        raise AttachmentRefused("not_pdf") from exc
    except OSError as exc:
        log.warning("the PDF cleaning child could not start: %s", exc)
        raise AttachmentRefused("not_pdf") from exc
    head, _newline, data = done.stdout.partition(b"\n")
    try:
        answer = json.loads(head) if done.returncode == 0 else {}
    except ValueError:
        answer = {}
    if "refused" in answer:
        raise AttachmentRefused(str(answer["refused"]))
    if "removed" not in answer or not data.startswith(b"%PDF-"):
        log.warning("the PDF cleaning child failed (exit status %s): %s", done.returncode,
                    done.stderr.decode("utf-8", "replace")[-1000:])
        raise AttachmentRefused("not_pdf")
    return CleanAttachment(kind=PDF, data=data, removed={str(k): int(v) for k, v in answer["removed"].items()})


def clean_pdf(raw: bytes, *, max_bytes: int) -> CleanAttachment:
    """Rewrite the PDF `raw` without JavaScript, open actions, additional actions, actions that
    reach outside the file, multimedia, embedded files or forms (the module's docstring says
    what each is and why), and return the new file with what was removed.

    The new file is read again and refused if anything of that remains. Streams are copied
    without being decoded, but an object stream is unpacked whole to read its objects: run this
    in a child process with bounded memory (`clean_pdf_in_child`), never in the web process.
    Raises AttachmentRefused: 'too_large' (more than `max_bytes`), 'encrypted' (needs a
    password), 'not_pdf' (qpdf cannot read or write it, or it has no page), 'not_cleanable'
    (something remained).
    """
    if len(raw) > max_bytes:
        raise AttachmentRefused("too_large")
    try:
        source = pikepdf.open(io.BytesIO(raw))
    except pikepdf.PasswordError as exc:
        raise AttachmentRefused("encrypted") from exc
    except Exception as exc:  # untrusted bytes: whatever qpdf raises means "not a PDF we can read"
        raise AttachmentRefused("not_pdf") from exc
    try:
        with source:
            if len(source.pages) == 0:  # nothing to read: not a document staff can use
                raise AttachmentRefused("not_pdf")
            found = active_content(source)
            _flatten_form_fields(source)
            _SANITIZER.apply(source)
            _remove_the_rest(source)
            out = io.BytesIO()
            # No encryption (an owner password's restrictions go), streams copied as they are.
            source.save(out, encryption=False, stream_decode_level=pikepdf.StreamDecodeLevel.none,
                        deterministic_id=True)
    except AttachmentRefused:
        raise
    except Exception as exc:  # a structure qpdf can open but not rewrite
        raise AttachmentRefused("not_pdf") from exc
    data = out.getvalue()
    try:
        with pikepdf.open(io.BytesIO(data)) as written:
            left = active_content(written)
    except Exception as exc:
        raise AttachmentRefused("not_pdf") from exc
    if left:
        raise AttachmentRefused("not_cleanable")
    return CleanAttachment(kind=PDF, data=data, removed={name: found[name] for name in ACTIVE_CONTENT if found[name]})


def active_content(pdf: pikepdf.Pdf) -> Counter[str]:
    """Count what `clean_pdf` removes, in every object of `pdf` (reachable or not): {name from
    ACTIVE_CONTENT: how many}. An empty Counter means none of it is there."""
    found: Counter[str] = Counter()
    root = pdf.Root
    for key, name in _REMOVED_CATALOG_ENTRIES.items():
        if key in root:
            found[name] += 1
    names = root.get("/Names")
    if isinstance(names, Dictionary):
        for key, name in _REMOVED_NAME_TREES.items():
            if key in names:
                found[name] += 1
    for obj in _dictionaries(pdf):
        _count_dictionary(obj, found)
    return found


def _dictionaries(pdf: pikepdf.Pdf) -> list[Dictionary | Stream]:
    """Every dictionary and stream of `pdf`, indirect objects (reachable or not) and the direct
    dictionaries nested in them, each once. Changing one changes the document."""
    found: list[Dictionary | Stream] = []
    seen: set[tuple[int, int]] = set()
    for obj in pdf.objects:
        stack = [obj]
        while stack:
            current = stack.pop()
            if isinstance(current, (Dictionary, Stream)):
                if current.is_indirect:
                    if current.objgen in seen:
                        continue
                    seen.add(current.objgen)
                found.append(current)
                children = [current.get(key) for key in current.keys()]
            elif isinstance(current, Array):
                children = list(current)
            else:
                continue
            # Indirect children are objects of their own in `pdf.objects`; scalars hold nothing.
            stack.extend(c for c in children if isinstance(c, (Array, Dictionary)) and not c.is_indirect)
    return found


def _names_another_file(obj: Dictionary | Stream) -> bool:
    """True for what makes a viewer read another file that is not an action of _EXTERNAL_ACTIONS:
    a thread action naming the file that holds the thread (ISO 32000-1, 12.6.4.7, /F), a stream
    whose data is in an external file (7.3.8.2, /F) and a reference XObject (8.10.4, /Ref)."""
    if obj.get("/S") == "/Thread" and "/F" in obj:
        return True
    if isinstance(obj, Stream) and "/F" in obj:
        return True
    return isinstance(obj, Stream) and obj.get("/Subtype") == "/Form" and "/Ref" in obj


def _count_dictionary(obj: Dictionary | Stream, found: Counter[str]) -> None:
    """Add to `found` what one dictionary (or stream dictionary) is or holds."""
    action = obj.get("/S")
    if isinstance(action, Name):
        if action == "/JavaScript":
            found[JAVASCRIPT] += 1
        elif str(action) in _EXTERNAL_ACTIONS and ("/Type" not in obj or obj.get("/Type") == "/Action"):
            found[EXTERNAL_ACTIONS] += 1
        elif str(action) in _MULTIMEDIA_ACTIONS and ("/Type" not in obj or obj.get("/Type") == "/Action"):
            found[MULTIMEDIA] += 1
    if _names_another_file(obj):
        found[EXTERNAL_ACTIONS] += 1
    if "/JS" in obj and action != "/JavaScript":
        found[JAVASCRIPT] += 1
    if "/AA" in obj and obj.get("/Type") != "/Catalog":
        found[ADDITIONAL_ACTIONS] += 1
    if "/EF" in obj or obj.get("/Type") == "/EmbeddedFile":
        found[EMBEDDED_FILES] += 1
    if "/XFA" in obj:
        found[FORMS] += 1
    subtype = obj.get("/Subtype")
    if isinstance(subtype, Name) and str(subtype) in _REMOVED_ANNOTATIONS and "/Rect" in obj:
        found[_REMOVED_ANNOTATIONS[str(subtype)]] += 1


def _flatten_form_fields(pdf: pikepdf.Pdf) -> None:
    """Draw each form field's appearance into its page and remove the field's widget, so that a
    filled-in form reads the same once /AcroForm is gone. Other annotations are left as they are
    (qpdf flattens every annotation it is given, so only the widgets are given to it)."""
    acroform = pdf.Root.get("/AcroForm")
    if not isinstance(acroform, Dictionary):
        return
    if acroform.get("/NeedAppearances"):
        try:
            pdf.generate_appearance_streams()
        except Exception:  # noqa: S110 - fields without a drawable value are dropped below, as without this step
            pass
    others: dict[int, Array] = {}
    for number, page in enumerate(pdf.pages):
        annots = page.obj.get("/Annots")
        if not isinstance(annots, Array):
            continue
        widgets = [a for a in annots if isinstance(a, Dictionary) and a.get("/Subtype") == "/Widget"]
        others[number] = Array([a for a in annots if not (isinstance(a, Dictionary) and a.get("/Subtype") == "/Widget")])
        page.obj["/Annots"] = Array(widgets)
    # 'screen': fields marked hidden or not to be viewed are not drawn.
    pdf.flatten_annotations("screen")
    for number, page in enumerate(pdf.pages):
        if number in others:
            # Widgets qpdf could not draw (no appearance) go with the form.
            page.obj["/Annots"] = others[number]


def _remove_the_rest(pdf: pikepdf.Pdf) -> None:
    """Remove what pikepdf's sanitizer leaves on purpose: the catalog's open action, additional
    actions and form entries whatever their content, the name trees of scripts, files and media,
    additional actions of pages and annotations, and annotations that hold files or media."""
    root = pdf.Root
    for key in _REMOVED_CATALOG_ENTRIES:
        if key in root:
            del root[key]
    names = root.get("/Names")
    if isinstance(names, Dictionary):
        for key in _REMOVED_NAME_TREES:
            if key in names:
                del names[key]
        if not names.keys():
            del root["/Names"]
    for page in pdf.pages:
        if "/AA" in page.obj:
            del page.obj["/AA"]
        annots = page.obj.get("/Annots")
        if not isinstance(annots, Array):
            continue
        kept = []
        for annot in annots:
            if not isinstance(annot, Dictionary):
                continue
            if str(annot.get("/Subtype")) in _REMOVED_ANNOTATIONS:
                continue
            if "/AA" in annot:
                del annot["/AA"]
            kept.append(annot)
        page.obj["/Annots"] = Array(kept)
    # Additional actions anywhere else (an outline item, a field left outside the pages, an
    # object reached in a way the steps above do not walk), and references to other files: a
    # thread action then names a thread of this file, a stream's own (usually empty) data is
    # read, a reference XObject shows its proxy, the form's own content.
    for obj in _dictionaries(pdf):
        if "/AA" in obj:
            del obj["/AA"]
        if _names_another_file(obj):
            for key in ("/F", "/FFilter", "/FDecodeParms", "/Ref"):
                if key in obj and (key != "/Ref" or isinstance(obj, Stream)):
                    del obj[key]


def safe_file_name(name: str | None) -> str:
    """The last part of an uploaded file's name, fit to show on a page and to offer as a download
    name: Unicode NFC; no folders; no control, format (bidirectional overrides, zero-width) or
    private-use characters; runs of whitespace as one space; no leading or trailing dots and
    spaces; at most MAX_NAME_LENGTH characters, keeping a short extension. "" when nothing is left.
    """
    text = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(" " if ch.isspace() else ch for ch in text if ch.isspace() or unicodedata.category(ch)[0] != "C")
    text = " ".join(text.split()).strip(" .")
    if len(text) > MAX_NAME_LENGTH:
        stem, dot, extension = text.rpartition(".")
        if dot and stem and len(extension) <= 10:
            text = stem[: MAX_NAME_LENGTH - len(extension) - 1].rstrip(" .") + "." + extension
        else:
            text = text[:MAX_NAME_LENGTH].rstrip(" .")
    return text


def download_name(original_name: str, kind: str, fallback: str) -> str:
    """The name a stored attachment is downloaded under: `original_name` (already made safe by
    `safe_file_name`) with the suffix of what is stored (a photo is a JPEG now, whatever it was);
    `fallback` (without suffix) when there is no name."""
    stem = original_name
    lowered = stem.lower()
    for suffix in (".jpeg", ".jpg", ".png", ".webp", ".gif", ".pdf"):
        if lowered.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    return (stem.strip(" .") or fallback) + SUFFIXES[kind]
