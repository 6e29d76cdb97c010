"""Every message the UI shows is in the zh_CN catalog (Chinese is the default language)."""
from __future__ import annotations

from inspector import i18n
from tools.ui_messages import ui_message_ids


def test_every_ui_message_has_a_chinese_translation():
    ids = ui_message_ids()
    assert len(ids) > 100  # the extraction really ran over ui/
    missing = sorted(m for m in ids if m not in i18n.catalog("zh_CN"))
    assert not missing, missing
