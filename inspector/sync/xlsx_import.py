"""`import-xlsx`: a workbook in the contract's Excel form, loaded exactly like a sync.

The workbook is checked as a file (format, damage, size), then every sheet and cell is
checked while it is staged into a scratch central database outside the store. Only a
clean workbook goes on: the very same `sync_central` that pulls from the central
database then takes the inspection's slice from that scratch database, so slice rules,
normalisation and digests are one code path. Any error leaves the store untouched.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Engine

from inspector.errors import UserError
from inspector.i18n import _
from inspector.progress import Progress
from inspector.snapshot import SnapshotResult
from inspector.sync.central import _check_target, check_request, sync_central
from inspector.sync.xlsx_errors import CellError, XlsxError, XlsxFileError, XlsxValidationError
from inspector.sync.xlsx_file import XlsxLimits, check_xlsx_file
from inspector.sync.xlsx_load import load_xlsx_central
from inspector.tempfiles import private_tempdir

__all__ = [
    "CellError", "XlsxError", "XlsxFileError", "XlsxLimits", "XlsxValidationError",
    "check_xlsx", "import_xlsx",
]

_INSTITUTION = re.compile(r"[HP]\d{11}")


def _check_request(
    engine: Engine, institution: str, date_from: date, date_to: date, visit_time: datetime, target: int | None
) -> None:
    """The checks sync_central makes before reading its source, made before reading a big workbook."""
    if not _INSTITUTION.fullmatch(institution or ""):
        raise UserError(_("institution code '{code}' is not 'H' or 'P' followed by 11 digits").format(code=institution))
    check_request(date_from, date_to, visit_time)
    if target is not None:
        _check_target(engine, target, institution, date_from, date_to, visit_time)


def check_xlsx(
    path: Path | str,
    institution: str | None = None,
    *,
    limits: XlsxLimits | None = None,
    progress: Progress | None = None,
    workdir: Path | None = None,
) -> dict[str, int]:
    """Check a workbook without importing it; returns its row counts per sheet or raises XlsxError."""
    path = Path(path)
    check_xlsx_file(path, limits or XlsxLimits.from_env())
    with private_tempdir("xlsx", workdir) as tmp:
        return load_xlsx_central(path, tmp / "central.db", institution, progress=progress)


def import_xlsx(
    engine: Engine,
    path: Path | str,
    institution: str,
    date_from: date,
    date_to: date,
    visit_time: datetime,
    *,
    target_inspection: int | None = None,
    progress: Progress | None = None,
    limits: XlsxLimits | None = None,
    workdir: Path | None = None,
) -> SnapshotResult:
    """Import `institution`'s slice from the workbook at `path` as a new inspection (or snapshot version).

    Raises `XlsxFileError` / `XlsxValidationError` (both `UserError`) with nothing changed.
    """
    path = Path(path)
    progress = progress or Progress()
    _check_request(engine, institution, date_from, date_to, visit_time, target_inspection)
    progress.set_status(_("checking {path}").format(path=path))
    sha256 = check_xlsx_file(path, limits or XlsxLimits.from_env())
    # the staged rows are patient data: a private folder, removed however the import ends
    with private_tempdir("xlsx", workdir) as tmp:
        central = tmp / "central.db"
        load_xlsx_central(path, central, institution, progress=progress)
        return sync_central(
            engine,
            f"sqlite:///{central}",
            institution,
            date_from,
            date_to,
            visit_time,
            target_inspection=target_inspection,
            progress=progress,
            source_kind="xlsx",
            source_label=str(path.resolve()),
            source_sha256=sha256,
        )
