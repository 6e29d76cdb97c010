"""List the UI's translatable messages and which lack a zh_CN translation.

`python tools/ui_messages.py` prints the missing msgids (exit 1 if any); tests use
`ui_message_ids()` to hold the UI to its catalog.
"""
from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.extract import extract_from_dir

ROOT = Path(__file__).resolve().parent.parent


def ui_message_ids() -> set[str]:
    """Every msgid passed to `_()` or `N_()` in ui/."""
    ids: set[str] = set()
    for _fn, _line, message, _comments, _ctx in extract_from_dir(
        str(ROOT / "ui"), method_map=[("**.py", "python")], keywords={"_": None, "N_": None}
    ):
        if isinstance(message, str) and message:
            ids.add(message)
    return ids


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from inspector import i18n

    table = i18n.catalog("zh_CN")
    missing = sorted(m for m in ui_message_ids() if m not in table)
    for m in missing:
        print(m)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
