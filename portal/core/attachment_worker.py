"""The child process of `portal.core.attachments.clean_pdf_in_child`: a PDF on standard input, one
line of JSON and the cleaned PDF on standard output (docs/attachments.md).

Run as `python -m portal.core.attachment_worker --max-bytes N --memory-bytes M`. Its address
space is limited to M bytes before anything is read, so a PDF that unpacks to gigabytes (a
compressed object stream is unpacked whole) stops the child, not the web worker. It answers
`{"removed": {name: count}}` and a newline, then the PDF; or `{"refused": reason}` (an
`AttachmentRefused` reason). Any other ending (out of memory, a crash) is read by the parent as
a PDF that could not be read.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys

from portal.core.attachments import AttachmentRefused, clean_pdf


def main(argv: list[str] | None = None) -> int:
    """Limit this process's memory, read the PDF from standard input, clean it and write the
    answer to standard output; the exit status (0 for an answer, refused or not)."""
    parser = argparse.ArgumentParser(prog="python -m portal.core.attachment_worker")
    parser.add_argument("--max-bytes", type=int, required=True)
    parser.add_argument("--memory-bytes", type=int, required=True)
    args = parser.parse_args(argv)
    resource.setrlimit(resource.RLIMIT_AS, (args.memory_bytes, args.memory_bytes))
    raw = sys.stdin.buffer.read()
    out = sys.stdout.buffer
    try:
        cleaned = clean_pdf(raw, max_bytes=args.max_bytes)
    except AttachmentRefused as refused:
        out.write(json.dumps({"refused": refused.reason}).encode() + b"\n")
    else:
        out.write(json.dumps({"removed": cleaned.removed}).encode() + b"\n" + cleaned.data)
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
