"""The embedded CJK font (WenQuanYi Micro Hei, shipped in resources/fonts with its licence) and paragraph styles.

Every style names this font explicitly, so no non-embedded standard font (Helvetica) ends up in a PDF.
"""
from __future__ import annotations

import threading

from reportlab import rl_config
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from inspector.resources import resource_path

FONT_NAME = "WQYMicroHei"
FONT_FILE = ("fonts", "wqy-microhei.ttc")
_lock = threading.Lock()


def register_font() -> str:
    """Register the CJK TrueType font with reportlab once; return its name."""
    with _lock:
        # Binary streams: reportlab's ASCII85 encoder is pure Python without its C accelerator
        # and took ~0.5 s per photo; binary output is smaller too.
        rl_config.useA85 = 0
        if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
            path = resource_path(*FONT_FILE)
            pdfmetrics.registerFont(TTFont(FONT_NAME, str(path), subfontIndex=0))
            # Bold/italic markup falls back to the same face instead of Helvetica-Bold.
            pdfmetrics.registerFontFamily(FONT_NAME, normal=FONT_NAME, bold=FONT_NAME,
                                          italic=FONT_NAME, boldItalic=FONT_NAME)
    return FONT_NAME


def styles() -> dict[str, ParagraphStyle]:
    """The paragraph styles of the documents, all in the embedded font, CJK line breaking."""
    font = register_font()
    base = ParagraphStyle("body", fontName=font, fontSize=10, leading=15, wordWrap="CJK", alignment=TA_LEFT)
    return {
        "body": base,
        "title": ParagraphStyle("title", parent=base, fontSize=18, leading=26, alignment=TA_CENTER, spaceAfter=10),
        "h1": ParagraphStyle("h1", parent=base, fontSize=14, leading=20, spaceBefore=8, spaceAfter=6),
        "h2": ParagraphStyle("h2", parent=base, fontSize=11.5, leading=17, spaceBefore=6, spaceAfter=4),
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10.5),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10.5),
        "cell_r": ParagraphStyle("cell_r", parent=base, fontSize=8, leading=10.5, alignment=TA_RIGHT),
        "head": ParagraphStyle("head", parent=base, fontSize=8, leading=10.5, alignment=TA_CENTER),
        "mono": ParagraphStyle("mono", parent=base, fontSize=6.5, leading=8.5),
        "right": ParagraphStyle("right", parent=base, alignment=TA_RIGHT),
    }
