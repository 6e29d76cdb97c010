"""File-level checks of a workbook before any cell is read: format, damage, size, zip bombs."""
from __future__ import annotations

import hashlib
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from inspector.i18n import _
from inspector.sync.xlsx_errors import XlsxFileError

MB = 1024 * 1024
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE compound file: encrypted .xlsx or old .xls


@dataclass(frozen=True)
class XlsxLimits:
    """How big a workbook may be. `from_env` reads INSPECTOR_XLSX_MAX_MB (file size on disk)."""

    max_file_bytes: int = 500 * MB
    max_unpacked_bytes: int = 4096 * MB          # all parts of the zip, as declared
    max_shared_strings_bytes: int = 512 * MB     # read whole into memory by openpyxl
    max_ratio: int = 200                         # unpacked / packed, for parts over 16 MB
    ratio_min_bytes: int = 16 * MB

    @classmethod
    def from_env(cls) -> XlsxLimits:
        """Defaults, with the file size limit from $INSPECTOR_XLSX_MAX_MB when set."""
        env = os.environ.get("INSPECTOR_XLSX_MAX_MB")
        if env:
            try:
                return cls(max_file_bytes=int(float(env) * MB))
            except ValueError:
                pass
        return cls()


def _mb(n: int) -> str:
    return f"{n / MB:,.1f} MB"


def check_xlsx_file(path: Path, limits: XlsxLimits) -> str:
    """Refuse a file that is not a readable, reasonably sized xlsx; return its SHA-256."""
    if not path.exists():
        raise XlsxFileError(path, _("the file does not exist"))
    if not path.is_file():
        raise XlsxFileError(path, _("not a file"))
    size = path.stat().st_size
    if size == 0:
        raise XlsxFileError(path, _("the file is empty"))
    if size > limits.max_file_bytes:
        raise XlsxFileError(
            path, _("the file is {size}, over the import limit of {limit}").format(
                size=_mb(size), limit=_mb(limits.max_file_bytes))
        )
    with open(path, "rb") as f:
        magic = f.read(8)
    if magic == _CFB_MAGIC:
        raise XlsxFileError(
            path, _("the workbook is password-protected (encrypted) or an old .xls file; "
                    "save it in Excel as an .xlsx workbook without a password")
        )
    if not magic.startswith(b"PK"):
        raise XlsxFileError(path, _("not an Excel .xlsx workbook (not a zip archive)"))
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise XlsxFileError(
            path, _("the file is truncated or damaged (its zip directory cannot be read); copy it again")
        ) from None
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        raise XlsxFileError(path, _("a zip archive but not an Excel .xlsx workbook (no xl/workbook.xml)"))
    if any(i.flag_bits & 0x1 for i in infos):
        raise XlsxFileError(path, _("the workbook is password-protected (encrypted parts)"))
    unpacked = sum(i.file_size for i in infos)
    if unpacked > limits.max_unpacked_bytes:
        raise XlsxFileError(
            path, _("the workbook would unpack to {size}, over the limit of {limit} (a zip bomb or too large to import)").format(
                size=_mb(unpacked), limit=_mb(limits.max_unpacked_bytes))
        )
    for i in infos:
        if i.filename.lower() == "xl/sharedstrings.xml" and i.file_size > limits.max_shared_strings_bytes:
            raise XlsxFileError(
                path, _("its shared strings unpack to {size}, over the limit of {limit}").format(
                    size=_mb(i.file_size), limit=_mb(limits.max_shared_strings_bytes))
            )
        if i.file_size >= limits.ratio_min_bytes and i.file_size > limits.max_ratio * max(i.compress_size, 1):
            raise XlsxFileError(
                path, _("part {part} unpacks {ratio:,} times its packed size (a zip bomb)").format(
                    part=i.filename, ratio=i.file_size // max(i.compress_size, 1))
            )
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(MB), b""):
            h.update(chunk)
    return h.hexdigest()
