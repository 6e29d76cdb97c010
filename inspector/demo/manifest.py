"""What the demo database contains, for tests and demos: institutions, planted cases, decoys."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class DemoManifest:
    """Describes one built demo database; `to_json()` is written beside it as `<out>.manifest.json`."""

    seed: int
    scale: str
    database: str
    extract_id: str
    admdvs: str
    created_at: str
    date_from: str
    date_to: str
    visit_time: str
    main_institution: str
    pharmacy_institution: str
    institutions: list[dict[str, Any]] = field(default_factory=list)
    planted: list[dict[str, Any]] = field(default_factory=list)
    decoys: list[dict[str, Any]] = field(default_factory=list)
    census_ids: list[dict[str, Any]] = field(default_factory=list)
    census: dict[str, Any] = field(default_factory=dict)
    stock: dict[str, Any] = field(default_factory=dict)
    records: dict[str, Any] = field(default_factory=dict)
    row_counts: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The manifest as plain JSON-ready values."""
        return asdict(self)

    def to_json(self) -> str:
        """The manifest as indented JSON (UTF-8 text, Chinese kept readable)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def planted_keys(self, rule: str) -> list[list[str]]:
        """Keys of the planted cases of one rule."""
        return [c["key"] for c in self.planted if c["rule"] == rule]

    def decoy_keys(self, rule: str) -> list[list[str]]:
        """Keys of the decoys of one rule."""
        return [c["key"] for c in self.decoys if c["rule"] == rule]
