"""Per-inspection settings: the bureau's choices, with the brief's defaults.

Stored as JSON on the inspection (decimals as strings) and printed with every result that
used them. `SETTINGS_VERSION` and `upgrade_settings` bring older stored settings forward.
"""
from __future__ import annotations

from copy import deepcopy
from typing import Any

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
