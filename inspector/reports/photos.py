"""Evidence photos for the PDF: scaled down and re-encoded as JPEG so a report stays small."""
from __future__ import annotations

import io

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_SIDE_PX = 800       # ~230 dpi at the 8.7 cm a photo takes on the page
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
        scale = max_side / max(im.size)
        if scale < 1:                                      # fast JPEG decode at 1/2, 1/4 or 1/8 scale
            im.draft("RGB", (max(1, int(im.width * scale)), max(1, int(im.height * scale))))
        out = ImageOps.exif_transpose(im) if orientation != 1 else im
        if max(out.size) > max_side * 1.05:               # the scaled decode is usually close enough
            out = out.copy() if out is im else out
            out.thumbnail((max_side, max_side), Image.Resampling.BICUBIC, reducing_gap=2.0)
        if out.mode not in ("RGB", "L"):
            background = Image.new("RGB", out.size, "white")
            background.paste(out, mask=out.convert("RGBA").getchannel("A"))
            out = background
        buf = io.BytesIO()
        out.save(buf, format="JPEG", quality=JPEG_QUALITY)
        return buf.getvalue(), out.width, out.height


def pdf_ready_jpegs(originals: list[bytes], max_side: int = MAX_SIDE_PX) -> list[tuple[bytes, int, int] | None]:
    """`pdf_ready_jpeg` over many photos on all cores (Pillow releases the GIL); None for a non-image."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    def one(data: bytes) -> tuple[bytes, int, int] | None:
        try:
            return pdf_ready_jpeg(data, max_side)
        except ValueError:
            return None

    if len(originals) < 4:
        return [one(o) for o in originals]
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        return list(pool.map(one, originals))
