"""Hostile PDFs, written byte by byte: decompression bombs, image codecs where text belongs,
JavaScript, HTML polyglots. Each is a structurally valid file, so only the checks can refuse it."""

import io
import zlib
from functools import cache

CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"


def build_pdf(objects: dict[int, bytes], *, header: bytes = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n") -> bytes:
    """A PDF of the numbered objects (object 1 is the catalog) with a correct cross-reference table."""
    out = io.BytesIO()
    out.write(header)
    offsets = {}
    for number in sorted(objects):
        offsets[number] = out.tell()
        out.write(b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n")
    xref = out.tell()
    size = max(objects) + 1
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % size)
    for number in range(1, size):
        out.write(b"%010d 00000 n \n" % offsets[number] if number in offsets else b"0000000000 65535 f \n")
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref))
    return out.getvalue()


def stream(data: bytes, entries: bytes = b"") -> bytes:
    return b"<< " + entries + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def pages_pdf(contents: list[bytes], *, catalog: bytes = CATALOG, extra: dict[int, bytes] | None = None) -> bytes:
    """One page per content stream (each given as a whole stream object, dictionary and data)."""
    first_page = 10
    kids = [first_page + 2 * i for i in range(len(contents))]
    objects = {
        1: catalog,
        2: b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % k for k in kids) + b"] /Count %d >>" % len(kids),
        **(extra or {}),
    }
    for page, content in zip(kids, contents, strict=True):
        objects[page] = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R >>" % (page + 1)
        objects[page + 1] = content
    return build_pdf(objects)


def flate_of_zeros(size: int) -> bytes:
    """zlib data that expands to `size` zero bytes, made without holding them in memory."""
    compressor = zlib.compressobj(9)
    chunk = bytes(1024 * 1024)
    parts = [compressor.compress(chunk) for _ in range(size // len(chunk))]
    return b"".join(parts) + compressor.flush()


def plain_text_content() -> bytes:
    return stream(b"BT /F1 18 Tf 72 720 Td (Certificate of data destruction) Tj ET")


@cache
def decompression_bomb() -> bytes:
    """About 300 KB that expand to 300 MB when the page is read (the issue's 306 KB bomb)."""
    return pages_pdf([stream(flate_of_zeros(300 * 1024 * 1024), b"/Filter /FlateDecode")])


@cache
def many_stream_bomb() -> bytes:
    """Ten pages of 24 MB each: every stream under the per-stream limit, together over the budget."""
    page = stream(flate_of_zeros(24 * 1024 * 1024), b"/Filter /FlateDecode")
    return pages_pdf([page] * 10)


def jbig2_content() -> bytes:
    """A page whose content stream claims the JBIG2 image codec (jbig2dec is not installed: a 500 before)."""
    return pages_pdf([stream(b"\x97JB2\r\n\x1a\n" + bytes(100), b"/Filter /JBIG2Decode")])


def jbig2_image() -> bytes:
    """A scan-like page: plain text content and a JBIG2-coded image XObject, which is never decoded."""
    image = stream(
        b"\x00" * 64,
        b"/Type /XObject /Subtype /Image /Width 8 /Height 8 /BitsPerComponent 1 /ColorSpace /DeviceGray "
        b"/Filter /JBIG2Decode",
    )
    objects = {
        1: CATALOG,
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /XObject << /Im1 5 0 R >> >> >>",
        4: stream(b"q 100 0 0 100 72 600 cm /Im1 Do Q"),
        5: image,
    }
    return build_pdf(objects)


def javascript_on_open() -> bytes:
    catalog = b"<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>"
    return pages_pdf([plain_text_content()], catalog=catalog, extra={5: b"<< /S /JavaScript /JS (app.alert(1)) >>"})


def javascript_in_an_inline_link() -> bytes:
    """JavaScript in a link annotation's inline action, the name written with a hex escape (/J#61vaScript)."""
    objects = {
        1: CATALOG,
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Annots [5 0 R] >>",
        4: plain_text_content(),
        5: b"<< /Type /Annot /Subtype /Link /Rect [0 0 612 792] /A << /S /J#61vaScript /JS (app.alert(2)) >> >>",
    }
    return build_pdf(objects)


def launch_action() -> bytes:
    catalog = b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /Launch /F (calc.exe) >> >>"
    return pages_pdf([plain_text_content()], catalog=catalog)


def html_polyglot() -> bytes:
    """A PDF that a browser sniffing the first bytes could run as a web page."""
    objects = {
        1: CATALOG,
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        4: plain_text_content(),
    }
    return build_pdf(objects, header=b"%PDF-1.7\n%<html><script>alert(document.cookie)</script>\n")


def html_before_the_header() -> bytes:
    return b"<html><body><script>alert(1)</script></body></html>\n" + pages_pdf([plain_text_content()])


def plain_pdf() -> bytes:
    return pages_pdf([plain_text_content()])
