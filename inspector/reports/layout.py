"""Page furniture and building blocks of the documents: header, "第 x 页 共 y 页" footer,
DRAFT watermark, tables that repeat their header row, and signature lines that record where
they landed so digital signature fields can be placed on them."""
from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, LongTable, Paragraph, TableStyle
from xml.sax.saxutils import escape

from inspector.i18n import _
from inspector.reports.fonts import FONT_NAME, register_font
from inspector.reports.handsig import cropped_signature_png
from inspector.reports.model import HandSignature, SignatureField

PAGE_SIZE = A4
MARGIN_X = 18 * mm
MARGIN_TOP = 22 * mm
MARGIN_BOTTOM = 18 * mm
FRAME_WIDTH = PAGE_SIZE[0] - 2 * MARGIN_X
CELL_PAD = 3


@dataclass(frozen=True)
class PageDecor:
    """What every page carries: header texts and whether the DRAFT watermark is drawn."""

    header_left: str
    header_right: str
    draft: bool


def numbered_canvas(decor: PageDecor) -> type[Canvas]:
    """A canvas class that holds pages until the end, then draws header, footer 第 x 页 共 y 页 and watermark."""
    font = register_font()

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("initialFontName", font)   # never the non-embedded Helvetica
            super().__init__(*args, **kwargs)
            self._held_pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 (reportlab API)
            self._held_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._held_pages)
            for state in self._held_pages:
                self.__dict__.update(state)
                self._decorate(total)
                Canvas.showPage(self)
            Canvas.save(self)

        def _decorate(self, total: int) -> None:
            width, height = PAGE_SIZE
            self.saveState()
            self.setFont(font, 8)
            self.setFillColor(colors.HexColor("#333333"))
            top = height - 12 * mm
            self.drawString(MARGIN_X, top, decor.header_left)
            self.drawRightString(width - MARGIN_X, top, decor.header_right)
            self.setStrokeColor(colors.HexColor("#888888"))
            self.setLineWidth(0.5)
            self.line(MARGIN_X, top - 2.5 * mm, width - MARGIN_X, top - 2.5 * mm)
            self.setFont(font, 9)
            page_text = _("Page {page} of {total}").format(page=self._pageNumber, total=total)
            self.drawCentredString(width / 2, 10 * mm, page_text)
            if decor.draft:
                self.setFont(font, 8)
                self.setFillColor(colors.HexColor("#cc0000"))
                self.drawCentredString(width / 2, 10 * mm - 11, _("DRAFT: not yet approved by the team lead"))
                self.setFont(font, 72)
                self.setFillColor(colors.HexColor("#cc0000"))
                self.setFillAlpha(0.13)
                self.translate(width / 2, height / 2)
                self.rotate(45)
                self.drawCentredString(0, 0, _("DRAFT") + " DRAFT")
            self.restoreState()

    return NumberedCanvas


def para(text: Any, style) -> Paragraph:
    """A paragraph of plain text (escaped; newlines kept)."""
    return Paragraph(escape("" if text is None else str(text)).replace("\n", "<br/>"), style)


def money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def data_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], widths_mm: Sequence[float],
               st: dict, right_cols: Sequence[int] = ()) -> LongTable:
    """A grid table whose header row repeats on every page it runs onto; long cells wrap (CJK aware).

    A cell whose one-line text fits its column is drawn as a plain string, which is much faster
    than laying out a paragraph; only longer text becomes a wrapping paragraph.
    """
    total = sum(widths_mm)
    widths = [FRAME_WIDTH * w / total for w in widths_mm]
    size = st["cell"].fontSize
    room = [w - 2 * CELL_PAD - 0.5 for w in widths]
    head = [para(h, st["head"]) for h in headers]

    def cell(i: int, v: Any) -> Any:
        text = "" if v is None else str(v)
        if "\n" not in text and stringWidth(text, FONT_NAME, size) <= room[i]:
            return text
        return TextCell(text, size, st["cell"].leading, right=i in right_cols)

    body = [[cell(i, v) for i, v in enumerate(r)] for r in rows]
    table = LongTable([head] + body, colWidths=widths, repeatRows=1)
    commands = [
        ("FONTNAME", (0, 0), (-1, -1), FONT_NAME),
        ("FONTSIZE", (0, 0), (-1, -1), size),
        ("LEADING", (0, 0), (-1, -1), st["cell"].leading),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#777777")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e4e8ee")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PAD),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    commands += [("ALIGN", (i, 1), (i, -1), "RIGHT") for i in right_cols]
    table.setStyle(TableStyle(commands))
    return table


NO_LINE_START = set("，。、；：？！）》」』】”’,.;:?!)%")
WORD_CHARS = set("-:./_%\u00a0\u2060")


def _word_char(ch: str) -> bool:
    """Part of a token kept on one line: Latin letters, digits, and the joiners of IDs, amounts and times."""
    return (ch.isascii() and ch.isalnum()) or ch in WORD_CHARS or ch == ","


class TextCell(Flowable):
    """Plain text wrapped at any character (CJK) or at a space (Latin): a fast table-cell paragraph."""

    _widths: dict[tuple[str, float], float] = {}

    def __init__(self, text: str, size: float, leading: float, right: bool = False) -> None:
        super().__init__()
        self.text, self.size, self.leading, self.right = text, size, leading, right
        self.lines: list[str] = []
        self._wrapped_for: float | None = None

    def _w(self, ch: str) -> float:
        key = (ch, self.size)
        w = self._widths.get(key)
        if w is None:
            w = self._widths[key] = stringWidth(ch, FONT_NAME, self.size)
        return w

    def _break(self, width: float) -> list[str]:
        lines: list[str] = []
        for source in self.text.split("\n"):
            line: list[str] = []
            used = 0.0
            for ch in source:
                w = self._w(ch)
                if line and used + w > width:
                    cut = len(line)
                    if _word_char(ch) and _word_char(line[-1]):   # never split an ID, a number or a time
                        k = len(line) - 1
                        while k >= 0 and _word_char(line[k]):
                            k -= 1
                        if k >= 0:
                            cut = k + 1
                    elif ch in NO_LINE_START and len(line) > 1:   # no line starts with closing punctuation
                        cut = len(line) - 1
                    lines.append("".join(line[:cut]).rstrip())
                    line = line[cut:]
                    used = sum(self._w(c) for c in line)
                line.append(ch)
                used += w
            lines.append("".join(line))
        return lines

    MAX_LINES = 40          # a table row cannot split across pages: very long text is cut with "…"

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        if self._wrapped_for != avail_width:
            self.lines = self._break(avail_width)
            if len(self.lines) > self.MAX_LINES:
                self.lines = self.lines[:self.MAX_LINES]
                self.lines[-1] = self.lines[-1][:-1] + "…"
            self._wrapped_for = avail_width
        self.width = avail_width
        self.height = len(self.lines) * self.leading
        return self.width, self.height

    def draw(self) -> None:
        c = self.canv
        c.setFont(FONT_NAME, self.size)
        y = self.height - self.size
        for line in self.lines:
            if self.right:
                c.drawRightString(self.width, y, line)
            else:
                c.drawString(0, y, line)
            y -= self.leading


class SignatureLine(Flowable):
    """One signature line: label, name and certificate number, and the area the signature goes in.

    Digital lines record their absolute area in `registry` (as a SignatureField) while drawn,
    so the field lands exactly on the line. Hand lines draw the representative's image, or the
    recorded refusal with the inspectors' note.
    """

    AREA_X = 68 * mm
    AREA_W = 62 * mm
    AREA_H = 20 * mm

    def __init__(self, *, label: str, name: str, detail: str, st: dict,
                 field_name: str | None = None, role: str = "", cert_no: str = "",
                 registry: list[SignatureField] | None = None,
                 hand: HandSignature | None = None, hand_line: bool = False, date_text: str = "") -> None:
        super().__init__()
        self.date_text = date_text
        self.label, self.name, self.detail, self.st = label, name, detail, st
        self.field_name, self.role, self.cert_no = field_name, role, cert_no
        self.registry = registry
        self.hand, self.hand_line = hand, hand_line
        self._refusal: Paragraph | None = None

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = avail_width
        height = self.AREA_H + 9 * mm
        if self.hand_line and self.hand and self.hand.refused:
            text = _("The representative refused to sign. Inspectors' note: {note}").format(note=self.hand.refusal_note)
            self._refusal = para(text, self.st["body"])
            _w, h = self._refusal.wrap(avail_width - self.AREA_X, avail_height)
            height = max(height, h + 9 * mm)
        self.height = height
        return self.width, self.height

    def draw(self) -> None:
        c = self.canv
        top = self.height - 2 * mm
        c.setFont(FONT_NAME, 9.5)
        c.setFillColor(colors.black)
        c.drawString(0, top - 10, self.label)
        c.setFont(FONT_NAME, 9)
        c.drawString(0, top - 24, self.name)
        c.setFont(FONT_NAME, 8)
        c.setFillColor(colors.HexColor("#333333"))
        c.drawString(0, top - 36, self.detail)
        area_y = self.height - 2 * mm - self.AREA_H
        if self._refusal is not None:
            _w, h = self._refusal.wrap(self.width - self.AREA_X, self.height)
            self._refusal.drawOn(c, self.AREA_X, self.height - 2 * mm - h)
            self._draw_date(c, 1 * mm, x=self.AREA_X)
            return
        c.setStrokeColor(colors.HexColor("#999999"))
        c.setDash(2, 2)
        c.setLineWidth(0.4)
        c.rect(self.AREA_X, area_y, self.AREA_W, self.AREA_H, stroke=1, fill=0)
        c.setDash()
        c.setStrokeColor(colors.black)
        c.line(self.AREA_X, area_y, self.AREA_X + self.AREA_W, area_y)
        if self.hand_line:
            if self.hand and self.hand.png:
                self._draw_hand_image(c, area_y)
            self._draw_date(c, area_y - 5 * mm)
        elif self.registry is not None and self.field_name:
            x1, y1 = c.absolutePosition(self.AREA_X, area_y)
            x2, y2 = c.absolutePosition(self.AREA_X + self.AREA_W, area_y + self.AREA_H)
            self.registry.append(SignatureField(
                name=self.field_name, page=c.getPageNumber() - 1, rect=(x1, y1, x2, y2),
                role=self.role, signer_name=self.name, cert_no=self.cert_no))
            c.setFont(FONT_NAME, 8)
            c.setFillColor(colors.HexColor("#333333"))
            c.drawString(self.AREA_X + self.AREA_W + 3 * mm, area_y + 2, _("(digital signature)"))
        if not self.hand_line and self.date_text:
            c.setFont(FONT_NAME, 8)
            c.setFillColor(colors.HexColor("#333333"))
            c.drawString(self.AREA_X + self.AREA_W + 3 * mm, area_y + 14, self.date_text)

    def _draw_hand_image(self, c: Canvas, area_y: float) -> None:
        png, w, h = cropped_signature_png(self.hand.png)  # type: ignore[union-attr]
        scale = min((self.AREA_W - 4) / w, (self.AREA_H - 4) / h)
        dw, dh = w * scale, h * scale
        c.drawImage(ImageReader(io.BytesIO(png)), self.AREA_X + (self.AREA_W - dw) / 2, area_y + 2,
                    width=dw, height=dh, mask="auto")

    def _draw_date(self, c: Canvas, y: float, x: float | None = None) -> None:
        when = self.hand.signed_at if self.hand else None
        c.setFont(FONT_NAME, 8)
        c.setFillColor(colors.HexColor("#333333"))
        from inspector.reports.wording import cn_date

        text = _("Date: {date}").format(date=cn_date(when) if when else "")
        c.drawString(self.AREA_X + self.AREA_W + 3 * mm if x is None else x, max(y, 1 * mm), text)
