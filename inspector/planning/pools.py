"""Pool files of the random draw: institutions (or a published ranking) and inspectors.

Every pool file states when it was published, and the draw's seed must come later
(`inspector.planning.draw`). Formats (UTF-8; an interface, documented in the README):

CSV: the first line is the publication record `#published_at,YYYY-MM-DD HH:MM:SS`, then a
header row, then one row per member.
xlsx: the first sheet holds the header row and the members; a sheet named `meta` holds the
row `published_at | YYYY-MM-DD HH:MM:SS` (a text or an Excel date).
Ranking (JSON): the `rank --format json` document with a top-level `"published_at"` added
when the bureau publishes it.

Institutions: columns `fixmedins_code`, `fixmedins_name`, optional `district` (default: the
6-digit division inside the code, CONTRACT.md "Codes") and `last_inspectors` (inspector ids
of the last inspection of the unit, separated by ';'). Inspectors: `inspector_id`, `name`,
`district`, optional `relations` (institution codes the inspector declared a relation with,
separated by ';'). The file's SHA-256 is over its exact bytes.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from inspector.coltypes import TIMESTAMP_FORMAT
from inspector.errors import UserError, os_reason
from inspector.i18n import _

PUBLISHED = "published_at"


@dataclass
class Pool:
    """One pool file: its digest, publication time and rows (dicts of text)."""

    path: Path
    sha256: str
    published_at: datetime
    rows: list[dict[str, str]]
    kind: str                                  # 'institutions', 'ranking' or 'inspectors'

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class Institution:
    code: str
    name: str
    district: str
    last_inspectors: frozenset[str]
    weight: int = 1                            # max(1, per_10k in cents) for a ranking pool


@dataclass(frozen=True)
class Inspector:
    inspector_id: str
    name: str
    district: str
    relations: frozenset[str] = field(default_factory=frozenset)


def split_ids(text: str | None) -> frozenset[str]:
    """A ';'-separated list of ids (spaces around each ignored, empty parts dropped)."""
    return frozenset(x.strip() for x in (text or "").split(";") if x.strip())


def _time(path: Path, value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.replace(microsecond=0)
    try:
        return datetime.strptime(str(value).strip(), TIMESTAMP_FORMAT)
    except ValueError:
        raise UserError(_("{file}: the publication time '{value}' is not 'YYYY-MM-DD HH:MM:SS'").format(
            file=path.name, value=value)) from None


def _no_publication(path: Path) -> UserError:
    return UserError(_("{file}: no publication time: a CSV pool starts with the line "
                       "'#published_at,YYYY-MM-DD HH:MM:SS', a workbook has a sheet 'meta' with the row "
                       "published_at, a ranking has the key \"published_at\"").format(file=path.name))


def read_pool(path: Path, kind: str) -> Pool:
    """Read a pool file (CSV, xlsx or ranking JSON) with its digest and publication time."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UserError(_("cannot read {file}: {reason}").format(file=path, reason=os_reason(exc))) from None
    digest = hashlib.sha256(raw).hexdigest()
    suffix = path.suffix.lower()
    if kind == "ranking":
        try:
            doc = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise UserError(_("{file}: not a ranking in JSON (the output of rank --format json)").format(
                file=path.name)) from None
        if not isinstance(doc, dict) or not isinstance(doc.get("institutions"), list):
            raise UserError(_("{file}: not a ranking in JSON (the output of rank --format json)").format(file=path.name))
        if PUBLISHED not in doc:
            raise _no_publication(path)
        rows = [{k: ("" if v is None else v if isinstance(v, str) else json.dumps(v)) for k, v in r.items()}
                for r in doc["institutions"] if isinstance(r, dict)]
        return Pool(path, digest, _time(path, doc[PUBLISHED]), rows, kind)
    if suffix == ".xlsx":
        published, rows = _read_xlsx(path)
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise UserError(_("{file}: not UTF-8 text").format(file=path.name)) from None
        lines = text.splitlines()
        first = next(csv.reader(lines[:1]), []) if lines else []
        if len(first) < 2 or first[0].strip().lower() != "#" + PUBLISHED:
            raise _no_publication(path)
        published = first[1]
        # Values exactly as written (no trimming), as the README's re-derivation reads them.
        rows = [{k or "": v or "" for k, v in r.items()} for r in csv.DictReader(lines[1:])]
    return Pool(path, digest, _time(path, published), rows, kind)


def _read_xlsx(path: Path) -> tuple[Any, list[dict[str, str]]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook is one message
        raise UserError(_("{file}: not a readable .xlsx workbook ({reason})").format(file=path.name, reason=exc)) from None
    try:
        if "meta" not in wb.sheetnames:
            raise _no_publication(path)
        published = None
        for row in wb["meta"].iter_rows(values_only=True):
            if row and str(row[0] or "").strip().lower() == PUBLISHED and len(row) > 1:
                published = row[1]
        if published is None:
            raise _no_publication(path)
        first = wb[wb.sheetnames[0]] if wb.sheetnames[0] != "meta" else wb[wb.sheetnames[1]]
        it = first.iter_rows(values_only=True)
        header = [str(h or "").strip() for h in next(it, ())]
        rows = []
        for r in it:
            if r is None or all(v is None for v in r):
                continue
            rows.append({h: "" if v is None else str(v).strip() for h, v in zip(header, r) if h})
        return published, rows
    finally:
        wb.close()


def _require(pool: Pool, columns: tuple[str, ...]) -> None:
    have = set(pool.rows[0]) if pool.rows else set()
    missing = [c for c in columns if c not in have]
    if not pool.rows:
        raise UserError(_("{file}: the pool is empty").format(file=pool.name))
    if missing:
        raise UserError(_("{file}: missing column(s) {columns}").format(file=pool.name, columns=", ".join(missing)))


def _row_no(pool: Pool, i: int) -> int:
    """The row number a person sees (CSV: line in the file; xlsx: sheet row; JSON: 1-based entry)."""
    return i + (3 if pool.path.suffix.lower() == ".csv" else 2 if pool.path.suffix.lower() == ".xlsx" else 1)


def institutions(pool: Pool) -> list[Institution]:
    """The institutions of an institutions or ranking pool, sorted by code."""
    _require(pool, ("fixmedins_code", "fixmedins_name") + (("per_10k",) if pool.kind == "ranking" else ()))
    out: dict[str, Institution] = {}
    for i, r in enumerate(pool.rows):
        code = r["fixmedins_code"]
        if len(code) != 12 or code[0] not in "HP" or not code[1:].isdigit():
            raise UserError(_("{file}, row {row}, column fixmedins_code: '{code}' is not an institution code").format(
                file=pool.name, row=_row_no(pool, i), code=code))
        if code in out:
            raise UserError(_("{file}, row {row}: institution {code} is listed twice").format(
                file=pool.name, row=_row_no(pool, i), code=code))
        weight = 1
        if pool.kind == "ranking":
            try:
                weight = max(1, int(Decimal(r["per_10k"] or "0") * 100))
            except InvalidOperation:
                raise UserError(_("{file}, row {row}, column per_10k: '{value}' is not a number").format(
                    file=pool.name, row=_row_no(pool, i), value=r["per_10k"])) from None
        out[code] = Institution(code, r["fixmedins_name"], r.get("district") or code[1:7],
                                split_ids(r.get("last_inspectors")), weight)
    return [out[c] for c in sorted(out)]


def inspectors(pool: Pool) -> list[Inspector]:
    """The inspectors of a pool, sorted by id."""
    _require(pool, ("inspector_id", "name", "district"))
    out: dict[str, Inspector] = {}
    for i, r in enumerate(pool.rows):
        iid = r["inspector_id"]
        if not iid:
            raise UserError(_("{file}, row {row}, column inspector_id: empty").format(file=pool.name, row=_row_no(pool, i)))
        if iid in out:
            raise UserError(_("{file}, row {row}: inspector {id} is listed twice").format(
                file=pool.name, row=_row_no(pool, i), id=iid))
        out[iid] = Inspector(iid, r["name"], r["district"], split_ids(r.get("relations")))
    return [out[k] for k in sorted(out)]


def csv_pool_text(published_at: datetime, header: list[str], rows: list[list[Any]]) -> str:
    """A CSV pool file's text (what a bureau publishes)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["#" + PUBLISHED, published_at.strftime(TIMESTAMP_FORMAT)])
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()
