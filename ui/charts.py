"""A small horizontal bar chart drawn with QPainter (QtCharts is an optional add-on)."""
from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

PALETTE = ("#2b5d8a", "#c0392b", "#e08e0b", "#27ae60", "#8e44ad", "#7f8c8d", "#16a085", "#d35400", "#34495e")


class BarChart(QWidget):
    """Labelled horizontal bars with their values; `set_bars([(label, value, colour|None), ...])`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bars: list[tuple[str, float, str, str]] = []
        self.title = ""
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_bars(self, bars: list[tuple[str, float, str | None, str | None]], title: str = "") -> None:
        """Each bar: (label, value, colour or None, text shown or None for the value)."""
        self.bars = [(label, float(v), c or PALETTE[i % len(PALETTE)], t if t is not None else f"{v:,.0f}")
                     for i, (label, v, c, t) in enumerate(bars)]
        self.title = title
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        line = self.fontMetrics().height() + 6
        return QSize(320, line * (len(self.bars) + 1) + 8)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return self.sizeHint()

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        fm = self.fontMetrics()
        line = fm.height() + 6
        y = 0
        if self.title:
            f = p.font()
            f.setBold(True)
            p.setFont(f)
            p.drawText(QRectF(0, 0, self.width(), line), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self.title)
            p.setFont(self.font())
            y = line
        if not self.bars:
            return
        label_w = min(max(fm.horizontalAdvance(b[0]) for b in self.bars) + 10, self.width() // 2)
        value_w = max(fm.horizontalAdvance(b[3]) for b in self.bars) + 10
        top = max(b[1] for b in self.bars) or 1.0
        span = max(self.width() - label_w - value_w, 10)
        for label, value, colour, text in self.bars:
            p.setPen(QColor("#333"))
            p.drawText(QRectF(0, y, label_w - 6, line), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                       fm.elidedText(label, Qt.TextElideMode.ElideRight, label_w - 6))
            w = span * max(value, 0.0) / top
            p.fillRect(QRectF(label_w, y + 3, w, line - 6), QColor(colour))
            p.drawText(QRectF(label_w + w + 4, y, value_w, line), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)
            y += line
        p.end()
