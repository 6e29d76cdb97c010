"""Icons drawn as SVG in resources/icons, looked up by name in one place."""
from __future__ import annotations

from functools import lru_cache

from PySide6.QtGui import QIcon

from inspector.resources import resource_path


def icon_path(name: str) -> str:
    """File path of the SVG for icon `name` (raises if the icon is not shipped)."""
    path = resource_path("icons", f"{name}.svg")
    if not path.exists():
        raise FileNotFoundError(f"icon {name!r} is not in {path.parent}")
    return str(path)


@lru_cache(maxsize=None)
def icon(name: str) -> QIcon:
    """The QIcon for `name`; SVG, so it stays sharp on high-DPI screens."""
    return QIcon(icon_path(name))
