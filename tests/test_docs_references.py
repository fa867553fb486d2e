"""Every document the repository refers to is in the repository, so a clone can follow it.

Scans every tracked text file (`git ls-files`) for names of Markdown files (`docs/writing.md`,
`README.md`, `../docs/product.md` from tests/) and fails, naming the file and line, when one names a
document the repository does not hold, or a section (`docs/writing.md#dates-and-times`) that is not
a heading of that document. A name is looked up beside the file that mentions it, then from the
repository's root. Names inside a URL (`https://example.org/CONTRIBUTING.md`) are other sites'
documents and are not checked.

The documents in docs/ name source files as they describe the code; those paths must exist too,
so that a file moved or renamed shows up here instead of leaving the documentation behind.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# A Markdown file name, with any folders before it and an optional #section after it.
MARKDOWN_NAME = re.compile(r"(?<![\w/.-])((?:[\w.-]+/)*[\w.-]+\.md)(?:#([\w-]+))?(?![\w-])")
URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s)\]>\"'`]+")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")
# In docs/: `portal/sms/views.py`, `templates/tips/`, and relative links like (../portal/x.py).
TOP_FOLDERS = ("portal", "tests", "templates", "static", "scripts", "migrations", "translations", "bench",
               "docs", ".ci")
CODE_SPAN = re.compile(r"`([^`\s]+)`")
LINK_TARGET = re.compile(r"\]\(([^)\s]+)\)")
# Folders `git ls-files` would not list; used only when git cannot answer.
_NOT_TRACKED = {".git", ".venv", "node_modules", "instance", "test-artifacts", "__pycache__", ".pytest_cache"}


def tracked_files() -> list[str]:
    """The repository's files as `git ls-files` lists them (paths with "/"); a walk of the folder,
    without what .gitignore keeps out, when git is not there."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
        names = [name for name in listed.decode("utf-8").split("\0") if name]
        if names:
            return names
    except (OSError, subprocess.CalledProcessError):
        pass
    found = []
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [name for name in subfolders if name not in _NOT_TRACKED]
        for name in files:
            if not name.endswith((".pyc", ".mo")):
                found.append(Path(folder, name).relative_to(ROOT).as_posix())
    return found


def text_of(name: str) -> str | None:
    """The file's text, or None for a binary file, one that is not UTF-8, or one deleted meanwhile."""
    try:
        data = (ROOT / name).read_bytes()
    except OSError:
        return None
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    """The anchors of every heading of a Markdown text (fenced code blocks left out)."""
    found, fenced = set(), False
    for line in markdown.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        heading = HEADING.match(line)
        if heading and not fenced:
            found.add(slug(heading.group(1)))
    return found


def resolve(name: str, mentioned_in: str, files: set[str]) -> str | None:
    """The tracked file `name` means when written in `mentioned_in`: beside it, else from the root."""
    for candidate in (os.path.join(os.path.dirname(mentioned_in), name), name):
        path = os.path.normpath(candidate).replace(os.sep, "/")
        if path in files:
            return path
    return None


def markdown_references(text: str) -> list[tuple[int, str, str | None]]:
    """(line number, Markdown file name, section or None) for every name outside a URL."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = URL.sub(lambda url: " " * len(url.group(0)), line)
        found += [(number, match.group(1), match.group(2)) for match in MARKDOWN_NAME.finditer(line)]
    return found


def broken_markdown_references(files: list[str], read: Callable[[str], str | None] = text_of) -> list[str]:
    """"file:line: name" for every reference to a missing document or a missing section.
    `read(name)`: a file's text (None for a binary one)."""
    tracked = set(files)
    headings: dict[str, set[str]] = {}
    problems = []
    for name in files:
        text = read(name)
        if text is None:
            continue
        for line, reference, section in markdown_references(text):
            target = resolve(reference, name, tracked)
            if target is None:
                problems.append(f"{name}:{line}: {reference} is not in the repository")
                continue
            if section is not None:
                if target not in headings:
                    headings[target] = anchors(read(target) or "")
                if section not in headings[target]:
                    problems.append(f"{name}:{line}: {target} has no section #{section}")
    return problems


def paths_named_in(markdown: str) -> list[tuple[int, str]]:
    """(line number, path) for each repository path a document names: a code span starting with a
    top-level folder (`portal/sms/views.py`, `templates/tips/`) or a relative link target."""
    found = []
    for number, line in enumerate(markdown.splitlines(), start=1):
        for span in CODE_SPAN.findall(line):
            if span.split("/")[0] in TOP_FOLDERS and "/" in span:
                found.append((number, span))
        for target in LINK_TARGET.findall(line):
            if not re.match(r"^([a-z][a-z0-9+.-]*:|#)", target):
                found.append((number, target.split("#")[0]))
    return found


def missing_paths_in_docs(files: list[str], read: Callable[[str], str | None] = text_of) -> list[str]:
    """"doc:line: path" for each path a document in docs/ names that is neither a tracked file nor a
    folder holding one. Code spans are read from the root, link targets beside the document."""
    tracked = set(files)
    folders = {"/".join(name.split("/")[:depth]) for name in files for depth in range(1, name.count("/") + 1)}
    problems = []
    for doc in (name for name in files if name.startswith("docs/") and name.endswith(".md")):
        for line, path in paths_named_in(read(doc) or ""):
            is_link = path.split("/")[0] not in TOP_FOLDERS
            base = os.path.dirname(doc) if is_link else ""
            wanted = os.path.normpath(os.path.join(base, path)).replace(os.sep, "/")
            if wanted not in tracked and wanted.rstrip("/") not in folders:
                problems.append(f"{doc}:{line}: {path} is not in the repository")
    return problems


def test_every_markdown_document_named_in_the_repository_is_in_it() -> None:
    problems = broken_markdown_references(tracked_files())
    assert not problems, "References to documents or sections that do not exist:\n" + "\n".join(problems)


def test_every_path_the_documentation_names_exists() -> None:
    problems = missing_paths_in_docs(tracked_files())
    assert not problems, "docs/ names files that are not in the repository:\n" + "\n".join(problems)


def test_the_scanner_finds_missing_documents_and_sections_and_ignores_urls() -> None:
    md = ".md"  # written apart, so that this file does not name the documents it invents
    text = "\n".join([
        f"# see GONE{md} and ../elsewhere/NOTES{md}",
        f"# see https://example.org/CONTRIBUTING{md} and <http://example.org/a/b/HISTORY{md}>",
        f"# see docs/writing{md}#no-such-section, README{md}",
    ])
    assert markdown_references(text) == [
        (1, f"GONE{md}", None), (1, f"../elsewhere/NOTES{md}", None),
        (3, f"docs/writing{md}", "no-such-section"), (3, f"README{md}", None),
    ]
    files = {f"docs/writing{md}", f"README{md}", "portal/x.py"}
    assert resolve(f"README{md}", "portal/x.py", files) == f"README{md}"
    assert resolve(f"writing{md}", f"docs/writing{md}", files) == f"docs/writing{md}"
    assert resolve(f"GONE{md}", "portal/x.py", files) is None

    contents = {f"docs/writing{md}": "# Writing\n## Dates and times\n", "portal/x.py": text}
    assert broken_markdown_references(sorted(contents), contents.get) == [
        f"portal/x.py:1: GONE{md} is not in the repository",
        f"portal/x.py:1: ../elsewhere/NOTES{md} is not in the repository",
        f"portal/x.py:3: docs/writing{md} has no section #no-such-section",
        f"portal/x.py:3: README{md} is not in the repository",
    ]


def test_the_documentation_check_finds_moved_files_and_folders() -> None:
    md = ".md"
    contents = {
        f"docs/a{md}": "See `portal/sms/views.py`, `portal/sms/`, `portal/gone.py`, `portal.audit.record`,\n"
                       f"[b](b{md}#x), [code](../portal/sms/views.py), [old](../portal/old/),"
                       f" [web](https://x.org/y{md})",
        f"docs/b{md}": "",
        "portal/sms/views.py": "",
    }
    assert missing_paths_in_docs(sorted(contents), contents.get) == [
        f"docs/a{md}:1: portal/gone.py is not in the repository",
        f"docs/a{md}:2: ../portal/old/ is not in the repository",
    ]


def test_anchors_follow_githubs_rules() -> None:
    text = ("# Threat model\n## Reading someone else's tip or booking\n"
            "```\n# not a heading\n```\n### Two segments ##")
    assert anchors(text) == {"threat-model", "reading-someone-elses-tip-or-booking", "two-segments"}
