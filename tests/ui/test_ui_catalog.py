"""Every message the UI shows is in the zh_CN catalog (Chinese is the default language)."""
from __future__ import annotations

from inspector import i18n
from tools.ui_messages import ui_message_ids


def test_every_ui_message_has_a_chinese_translation():
    ids = ui_message_ids()
    assert len(ids) > 100  # the extraction really ran over ui/
    missing = sorted(m for m in ids if m not in i18n.catalog("zh_CN"))
    assert not missing, missing


def test_the_ui_catalog_does_not_contradict_other_areas():
    """All catalogs share one table: a msgid the UI shares with another area gets the same text."""
    from babel.messages.pofile import read_po

    from inspector.resources import resource_path

    folder = resource_path("locale", "zh_CN", "LC_MESSAGES")
    with open(folder / "ui.po", "rb") as f:
        ours = {m.id: m.string for m in read_po(f, locale="zh_CN") if m.id and m.string}
    clashes = []
    for po in sorted(folder.glob("*.po")):
        if po.name == "ui.po":
            continue
        with open(po, "rb") as f:
            for m in read_po(f, locale="zh_CN"):
                if m.id in ours and m.string and m.string != ours[m.id]:
                    clashes.append((po.name, m.id, m.string, ours[m.id]))
    assert not clashes, clashes
