"""Responses for stored files. Every stored file (submissions, feedback, hand-ins, lecture materials) is sent by a
view that has checked access first; no URL serves MEDIA_ROOT directly, in any settings module.

Rules: `X-Content-Type-Options: nosniff` always, `Content-Security-Policy: sandbox` always (a file is never a page
of the site's origin), private caching only. Files are attachments, except a staff-posted PDF whose bytes really
are a PDF, which opens in the browser. An attachment is never labelled as something a browser would render as a
page or run (HTML, SVG, XML, JavaScript): those go out as `application/octet-stream`.
"""

from __future__ import annotations

import mimetypes
from typing import BinaryIO

from django.http import FileResponse

PDF_MAGIC = b"%PDF-"
FILE_CSP = "sandbox"  # a unique origin, no scripts, no forms: the file cannot act as the site
ACTIVE_TYPES = (
    "text/html",
    "application/xhtml+xml",
    "image/svg+xml",
    "text/xml",
    "application/xml",
    "text/javascript",
    "application/javascript",
    "application/x-javascript",
)


def is_pdf(handle: BinaryIO) -> bool:
    """Whether the file's bytes start like a PDF (the handle is rewound)."""
    start = handle.tell()
    head = handle.read(len(PDF_MAGIC))
    handle.seek(start)
    return head == PDF_MAGIC


def safe_content_type(filename: str) -> str:
    content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    if content_type in ACTIVE_TYPES or content_type.startswith("text/html"):
        return "application/octet-stream"
    return content_type


def harden(response):
    """The headers every stored-file response carries."""
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


def file_attachment(handle: BinaryIO, *, filename: str, content_type: str | None = None) -> FileResponse:
    """A stored file as a download (student files, feedback, notebooks)."""
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=filename,
        content_type=content_type or safe_content_type(filename),
    )
    return harden(response)


def file_pdf_inline_or_attachment(handle: BinaryIO, *, filename: str) -> FileResponse:
    """A staff-posted file: a real PDF opens in the browser under a sandboxing CSP; anything else downloads."""
    if filename.lower().endswith(".pdf") and is_pdf(handle):
        response = FileResponse(
            handle, as_attachment=False, filename=filename, content_type="application/pdf"
        )
        return harden(response)
    return file_attachment(handle, filename=filename)
