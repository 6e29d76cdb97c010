"""The visible stamp of a digital signature, drawn by reportlab in the embedded CJK font."""
from __future__ import annotations

import io
import uuid

from pyhanko.pdf_utils import content
from pyhanko.pdf_utils.layout import BoxConstraints
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.stamp import StaticStampStyle
from reportlab.lib import colors
from reportlab.pdfgen.canvas import Canvas

from inspector.reports.fonts import register_font


class _PdfBytesPage(content.ImportedPdfPage):
    """pyHanko's ImportedPdfPage, reading the page from bytes instead of a file name."""

    def __init__(self, data: bytes) -> None:
        super().__init__(file_name="<memory>", page_ix=0)
        self._data = data

    def render(self) -> bytes:
        w = self._ensure_writer
        xobj = w.import_page_as_xobject(PdfFileReader(io.BytesIO(self._data)), page_ix=0)
        name = "/Import" + uuid.uuid4().hex
        self.resources.xobject[name] = xobj
        x1, y1, x2, y2 = xobj.get_object()["/BBox"]
        self.box = BoxConstraints(width=abs(x1 - x2), height=abs(y1 - y2))
        return name.encode("ascii") + b" Do"


def stamp_pdf(width: float, height: float, lines: list[str]) -> bytes:
    """A one-page PDF of the stamp: a framed box with `lines` fitted to it."""
    font = register_font()
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(width, height), initialFontName=font, pageCompression=1)
    c.setFillColor(colors.white)
    c.setStrokeColor(colors.HexColor("#1f3f8f"))
    c.setLineWidth(1.2)
    c.rect(1, 1, width - 2, height - 2, stroke=1, fill=1)
    size = min(9.0, (height - 6) / (len(lines) * 1.25))
    c.setFillColor(colors.HexColor("#1f3f8f"))
    y = height - 4 - size
    for line in lines:
        fs = size
        while fs > 4 and c.stringWidth(line, font, fs) > width - 8:
            fs -= 0.25
        c.setFont(font, fs)
        c.drawString(4, y, line)
        y -= size * 1.25
    c.showPage()
    c.save()
    return buf.getvalue()


def stamp_style(width: float, height: float, lines: list[str]) -> StaticStampStyle:
    """A pyHanko stamp style showing `lines` in a box of the given size."""
    return StaticStampStyle(background=_PdfBytesPage(stamp_pdf(width, height, lines)),
                            border_width=0, background_opacity=1.0)
