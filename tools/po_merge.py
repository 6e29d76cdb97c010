"""Add translations to a .po file: `python tools/po_merge.py PO PYFILE` where PYFILE defines TR = {msgid: msgstr}.

Existing entries are kept (new text replaces old for the same msgid); output is sorted.
"""
from __future__ import annotations

import runpy
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po


def merge(po: Path, additions: dict[str, str], lang: str = "zh_CN") -> None:
    if po.exists():
        with open(po, "rb") as f:
            cat = read_po(f, locale=lang)
    else:
        cat = Catalog(locale=lang, project="Inspector UI")
    for k, v in additions.items():
        if k in cat:
            cat[k].string = v
        else:
            cat.add(k, v)
    po.parent.mkdir(parents=True, exist_ok=True)
    with open(po, "wb") as f:
        write_po(f, cat, sort_output=True, width=0, omit_header=False)


if __name__ == "__main__":
    merge(Path(sys.argv[1]), runpy.run_path(sys.argv[2])["TR"])
