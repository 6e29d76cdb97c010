"""Guard against a Qt binding that over-releases None (PySide6 6.12.0 on Python 3.11 does:
every call returning None drops None's refcount until the interpreter aborts)."""
from __future__ import annotations

import sys

from PySide6.QtWidgets import QLabel


def test_qt_calls_do_not_leak_references_to_none(qapp):
    label = QLabel("x")
    label.setText("warm-up")
    before = sys.getrefcount(None)
    for _ in range(2000):
        label.setText("a")
    assert sys.getrefcount(None) - before > -50
