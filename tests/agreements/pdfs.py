"""Real files for upload tests: a small valid PDF, and files that only pretend to be one."""

import base64
import io

from pypdf import PdfWriter

# The smallest valid PNG: one transparent pixel.
PNG_BYTES = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
HTML_BYTES = b"<!doctype html><html><body><script>alert(1)</script>Signed agreement</body></html>"


def pdf_bytes(pages: int = 2, title: str = "Signed data privacy agreement") -> bytes:
    """A real PDF made with pypdf: blank letter-size pages and a title in its metadata."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=612, height=792)
    writer.add_metadata({"/Title": title})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
