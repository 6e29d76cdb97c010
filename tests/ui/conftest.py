"""UI test fixtures: a real store with a small synthetic snapshot, and an app context."""
from __future__ import annotations

from pathlib import Path

import pytest

from tools.synthetic_store import make_store


@pytest.fixture
def store_path(tmp_path) -> Path:
    return make_store(tmp_path / "store.db")[0]


@pytest.fixture
def ctx(qapp, tmp_path, store_path):
    """An ApplicationContext on the synthetic store with its own settings file."""
    from inspector import i18n
    from ui.context import create_context

    from tests.support.accounts import make_accounts, make_team

    context = create_context(store_path, tmp_path / "settings.ini")
    people = make_accounts(context.engine)
    make_team(context.engine, 1, people)
    context.people = people               # the test accounts by login (zhang lead, li/wang inspectors, zhao deputy)
    context.actor = people["li"]          # logged in as an inspector of the team
    yield context
    context.close()
    i18n.set_language(i18n.DEFAULT_LANGUAGE)
