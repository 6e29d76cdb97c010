"""Evidence photos for the PDF: scaled down and re-encoded as JPEG so a report stays small."""
from __future__ import annotations

import io

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_SIDE_PX = 1000      # ~250 dpi at the 10 cm a photo takes on the page
JPEG_QUALITY = 72


def pdf_ready_jpeg(original: bytes, max_side: int = MAX_SIDE_PX) -> tuple[bytes, int, int]:
    """(JPEG bytes, width, height) of `original`, EXIF-rotated, no side longer than `max_side`.

    A JPEG already small enough is kept as is (reportlab embeds JPEG data unchanged).
    Raises ValueError when `original` is not an image.
    """
    try:
        im = Image.open(io.BytesIO(original))
    except UnidentifiedImageError:
        raise ValueError("not an image") from None
    with im:
        orientation = im.getexif().get(0x0112, 1)
        if im.format == "JPEG" and max(im.size) <= max_side and orientation == 1 and im.mode in ("RGB", "L"):
            return original, im.width, im.height
        im.draft("RGB", (max_side, max_side))           # fast JPEG decode at reduced scale
        out = ImageOps.exif_transpose(im)
        out.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        if out.mode not in ("RGB", "L"):
            background = Image.new("RGB", out.size, "white")
            background.paste(out, mask=out.convert("RGBA").getchannel("A"))
            out = background
        buf = io.BytesIO()
        out.save(buf, format="JPEG", quality=JPEG_QUALITY, optimize=True)
        return buf.getvalue(), out.width, out.height
