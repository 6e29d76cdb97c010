from __future__ import annotations

import pytest

from inspector import i18n
from inspector.resources import central_schema_sql, resource_path


def test_chinese_is_default_and_english_is_the_id():
    assert i18n.gettext("Institution", "zh_CN") == "机构"
    assert i18n.gettext("Institution", "en") == "Institution"
    assert i18n.gettext("no such message", "zh_CN") == "no such message"


def test_switching_language_notifies_listeners():
    seen = []
    i18n.on_language_changed(seen.append)
    try:
        i18n.set_language("en")
        assert i18n._("Inspection") == "Inspection"
        i18n.set_language("zh_CN")
        assert i18n._("Inspection") == "检查"
    finally:
        i18n._listeners.remove(seen.append)
    assert seen == ["en", "zh_CN"]
    with pytest.raises(ValueError):
        i18n.set_language("fr")


def test_shipped_schema_is_the_contract():
    shared = resource_path().parent.parent / "shared" / "central" / "schema.sql"
    if shared.exists():
        assert central_schema_sql() == shared.read_text(encoding="utf-8")
    assert "CREATE TABLE insp_upload" in central_schema_sql()


def test_catalogs_never_translate_one_message_two_ways():
    """All areas' catalogs share one table: a message must mean the same everywhere."""
    from babel.messages.pofile import read_po

    seen: dict[str, dict[str, str]] = {}
    for po in sorted(resource_path("locale", "zh_CN", "LC_MESSAGES").glob("*.po")):
        with open(po, "rb") as f:
            for m in read_po(f):
                if m.id and m.string:
                    seen.setdefault(m.id, {})[m.string] = po.name
    clashes = {k: v for k, v in seen.items() if len(v) > 1}
    assert not clashes, clashes
