"""Per-inspection settings: the bureau's choices, with the brief's defaults.

Stored as JSON on the inspection (decimals as strings) and printed with every result that
used them. `SETTINGS_VERSION` and `upgrade_settings` bring older stored settings forward.
"""
from __future__ import annotations

from copy import deepcopy
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from inspector.accounts import Actor

SETTINGS_VERSION = 1

DEFAULT_SETTINGS: dict[str, Any] = {
    "settings_version": SETTINGS_VERSION,
    # screening
    "readmission_days": 7,
    "count_tolerance": "0.01",
    "bed_only_days": 3,
    # census: ward-level absence rule
    "ward_absence_rule": True,
    "ward_absence_thresholds": {"1": "0.20", "2": "0.05", "3": "0.03"},
    # stock count
    "stock_sample_top": 10,
    "stock_sample_random": 10,
    "stock_seed": 1,
    "stocking_min_western": "0.90",
    "stocking_min_patent": "0.80",
    "stocking_denominator": "in_stock",   # or "required"
    # record review
    "record_sample_n": 30,
    "record_seed": 1,
    "record_stratify": False,
    # checks that must be finished (or waived by the team lead with a reason) before the final report
    "required_checks": "census,stock,records",
    # findings: discretion bands narrowing the fine multiplier by amount, keyed by category code
    # or its first letter ({} turns them off); the brief's example for fraud and P01
    "discretion_bands": {
        key: [{"up_to": "2000", "low": "2", "high": "3"},
              {"up_to": "5000", "low": "3", "high": "4"},
              {"up_to": None, "low": "4", "high": "5"}]
        for key in ("F", "P01")
    },
}


def default_settings() -> dict[str, Any]:
    return deepcopy(DEFAULT_SETTINGS)


def upgrade_settings(stored: dict[str, Any]) -> dict[str, Any]:
    """Fill in keys added since `stored` was written; stored choices win."""
    merged = default_settings()
    merged.update(stored)
    merged["settings_version"] = SETTINGS_VERSION
    return merged


def effective_settings(conn, inspection_id: int) -> dict[str, Any]:
    """The inspection's settings now: its stored settings, upgraded, then every
    'settings.changed' event ({"key": ..., "value": ...}) in log order."""
    from sqlalchemy import select

    from inspector.events import read_events
    from inspector.models import Inspection

    stored = conn.execute(select(Inspection.settings).where(Inspection.id == inspection_id)).scalar_one_or_none()
    if stored is None:
        from inspector.errors import UserError

        raise UserError(f"no inspection with id {inspection_id} in this store")
    settings = upgrade_settings(stored)
    for ev in read_events(conn, inspection_id, ["settings.changed"]):
        settings[ev.payload["key"]] = ev.payload["value"]
    return settings


# --- changing settings ----------------------------------------------------------------------

# Ranges of the numeric settings: (minimum, maximum) inclusive; ratios are decimal strings.
_INT_RANGES: dict[str, tuple[int, int]] = {
    "readmission_days": (0, 366),
    "bed_only_days": (1, 366),
    "stock_sample_top": (0, 10_000),
    "stock_sample_random": (0, 10_000),
    "record_sample_n": (1, 100_000),
}
_RATIO_KEYS = {"count_tolerance", "stocking_min_western", "stocking_min_patent"}
_CHOICES: dict[str, tuple[str, ...]] = {"stocking_denominator": ("in_stock", "required")}


def parse_setting(key: str, value: Any) -> Any:
    """`value` (text from the command line, or a JSON value) as the stored form of setting `key`.

    Raises UserError naming the key and what it accepts; nothing is changed.
    """
    from decimal import Decimal, InvalidOperation
    import json

    from inspector.errors import UserError

    if key == "settings_version" or key not in DEFAULT_SETTINGS:
        known = ", ".join(k for k in DEFAULT_SETTINGS if k != "settings_version")
        raise UserError(f"unknown setting {key!r}; settings are: {known}")
    default = DEFAULT_SETTINGS[key]
    text = value.strip() if isinstance(value, str) else value
    if isinstance(default, bool):
        if isinstance(text, bool):
            return text
        low = str(text).lower()
        if low in ("true", "1", "yes", "on"):
            return True
        if low in ("false", "0", "no", "off"):
            return False
        raise UserError(f"setting {key}: {value!r} is not true or false")
    if isinstance(default, int):
        try:
            n = int(str(text))
        except ValueError:
            raise UserError(f"setting {key}: {value!r} is not a whole number") from None
        lo, hi = _INT_RANGES.get(key, (-(2**63), 2**63 - 1))
        if not lo <= n <= hi:
            raise UserError(f"setting {key}: {n} is outside {lo}..{hi}")
        return n
    if isinstance(default, dict):
        try:
            obj = json.loads(text) if isinstance(text, str) else text
        except ValueError:
            raise UserError(f"setting {key}: {value!r} is not a JSON object") from None
        if not isinstance(obj, dict) or set(obj) != set(default):
            raise UserError(f"setting {key}: expected a JSON object with keys {sorted(default)}")
        return {k: _ratio(key, v) for k, v in obj.items()}
    if key in _RATIO_KEYS:
        return _ratio(key, text)
    if key == "required_checks":
        items = [c.strip() for c in str(text).split(",") if c.strip()]
        bad = [c for c in items if c not in ("census", "stock", "records")]
        if bad:
            raise UserError(f"setting {key}: {', '.join(bad)} is not a check; checks are census, stock, records")
        return ",".join(dict.fromkeys(items))
    if key in _CHOICES:
        if text not in _CHOICES[key]:
            raise UserError(f"setting {key}: {value!r} is not one of {', '.join(_CHOICES[key])}")
        return text
    if isinstance(default, str):
        try:
            Decimal(default)
        except InvalidOperation:
            return str(text)
        return _ratio(key, text)
    return text


def _ratio(key: str, value: Any) -> str:
    """A ratio 0..1 as a normalised decimal string ('1%' is accepted for 0.01)."""
    from decimal import Decimal, InvalidOperation

    from inspector.errors import UserError

    text = str(value).strip()
    try:
        d = Decimal(text[:-1]) / 100 if text.endswith("%") else Decimal(text)
    except InvalidOperation:
        raise UserError(f"setting {key}: {value!r} is not a decimal number such as 0.01") from None
    if not d.is_finite() or not (0 <= d <= 1):
        raise UserError(f"setting {key}: {value!r} is not between 0 and 1")
    return format(d.normalize(), "f") if d != 0 else "0"


def change_settings(engine, inspection_id: int, changes: dict[str, Any], *, actor: Actor | None = None) -> dict[str, Any]:
    """Check every change first, then record one 'settings.changed' event per key in one
    transaction; returns the effective settings after."""
    from inspector.db import write_transaction
    from inspector.events import append_event

    with engine.connect() as conn:
        effective_settings(conn, inspection_id)  # the inspection exists
    parsed = {k: parse_setting(k, v) for k, v in changes.items()}
    with write_transaction(engine) as conn:
        for k, v in parsed.items():
            append_event(engine, inspection_id, "settings.changed", {"key": k, "value": v}, actor=actor, conn=conn)
    with engine.connect() as conn:
        return effective_settings(conn, inspection_id)
