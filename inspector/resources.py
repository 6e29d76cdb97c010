"""Files shipped in `resources/` (the contract schema, fonts, catalogs, templates)."""
from __future__ import annotations

from pathlib import Path

RESOURCES = Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    return RESOURCES.joinpath(*parts)


def central_schema_sql() -> str:
    """The central contract's DDL (a verbatim copy of shared/central/schema.sql)."""
    return resource_path("central", "schema.sql").read_text(encoding="utf-8")
