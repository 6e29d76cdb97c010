"""The representative's hand signature: checking the PNG from the signature pad and cropping it to the ink."""
from __future__ import annotations

import io

from PIL import Image, ImageChops, UnidentifiedImageError

from inspector.errors import UserError

from inspector.i18n import _

MAX_SIGNATURE_BYTES = 5 * 1024 * 1024


def check_signature_png(png: bytes) -> None:
    """Raise UserError unless `png` is a PNG image with some ink on it."""
    if len(png) > MAX_SIGNATURE_BYTES:
        raise UserError(_('hand signature: the image is larger than 5 MB'))
    try:
        with Image.open(io.BytesIO(png)) as im:
            if im.format != "PNG":
                raise UserError(_('hand signature: expected a PNG image, got {format}').format(format=im.format))
            im.load()
            if ink_bbox(im) is None:
                raise UserError(_('hand signature: the image is empty (nothing was drawn)'))
    except UnidentifiedImageError:
        raise UserError(_('hand signature: not an image')) from None


def ink_bbox(im: Image.Image) -> tuple[int, int, int, int] | None:
    """Bounding box of the drawn strokes: non-transparent pixels, or non-white ones on an opaque image."""
    rgba = im.convert("RGBA")
    alpha = rgba.getchannel("A")
    if alpha.getextrema()[0] < 255:                       # has transparency: ink = visible pixels
        return alpha.point(lambda a: 255 if a > 16 else 0).getbbox()
    grey = rgba.convert("L")
    return ImageChops.invert(grey).point(lambda v: 255 if v > 24 else 0).getbbox()


def cropped_signature_png(png: bytes, margin: int = 6) -> tuple[bytes, int, int]:
    """The signature cropped to its ink plus `margin` pixels: (PNG bytes, width, height)."""
    with Image.open(io.BytesIO(png)) as im:
        im.load()
        box = ink_bbox(im) or (0, 0, im.width, im.height)
        x1, y1, x2, y2 = box
        box = (max(0, x1 - margin), max(0, y1 - margin), min(im.width, x2 + margin), min(im.height, y2 + margin))
        out = im.convert("RGBA").crop(box)
    buf = io.BytesIO()
    out.save(buf, format="PNG", optimize=True)
    return buf.getvalue(), out.width, out.height
