"""What every on-site check of an inspection reads first: its window, visit time, snapshot, settings."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from inspector.checks.ledger import ts, window_bounds
from inspector.errors import UserError
from inspector.i18n import _
from inspector.models import Inspection
from inspector.settings import effective_settings
from inspector.snapshot import latest_snapshot_id


@dataclass(frozen=True)
class CheckContext:
    """One inspection as the checks see it (times as contract text)."""

    inspection_id: int
    snapshot_id: int
    fixmedins_code: str
    date_from: date
    date_to: date
    w0: str
    w1: str
    v: str
    settings: dict[str, Any]


def check_context(conn: Any, inspection_id: int) -> CheckContext:
    """The inspection's window, visit time V, current snapshot and effective settings."""
    row = conn.execute(
        select(Inspection.fixmedins_code, Inspection.date_from, Inspection.date_to, Inspection.visit_time)
        .where(Inspection.id == inspection_id)
    ).first()
    if row is None:
        raise UserError(_("no inspection with id {id} in this store").format(id=inspection_id))
    sid = latest_snapshot_id(conn, inspection_id)
    if sid is None:
        raise UserError(_("inspection {id} has no synced data").format(id=inspection_id))
    code, d0, d1, v = row
    w0, w1 = window_bounds(d0, d1)
    v_text = ts(v) if isinstance(v, datetime) else str(v)
    return CheckContext(inspection_id, sid, code, d0, d1, w0, w1, v_text, effective_settings(conn, inspection_id))


def int_setting(settings: dict[str, Any], key: str, minimum: int = 0) -> int:
    """An integer setting, checked: UserError naming the setting when it is not one."""
    value = settings.get(key)
    try:
        n = int(str(value))
    except ValueError:
        n = None
    if n is None or isinstance(value, bool) or n < minimum:
        raise UserError(_("setting {key} '{value}' must be a whole number of at least {min}")
                        .format(key=key, value=value, min=minimum))
    return n
