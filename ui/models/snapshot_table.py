"""A lazy, SQL-backed table model over one `snap_*` table of one snapshot.

The model holds row ids (SQLite rowids) only; row values are read in small blocks by id
into a bounded cache as the view asks for them. Unsorted, ids come page by page
(keyset on rowid) through `canFetchMore`/`fetchMore`; sorted, the id list comes from one
`ORDER BY` query. Filter and sort are SQL. Decimals are shown from their scaled integers.
"""
from __future__ import annotations

import re
from array import array
from collections import OrderedDict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from sqlalchemy import Engine, Integer

from inspector.coltypes import Scaled, from_scaled
from inspector.errors import UserError
from inspector.i18n import _
from inspector.models import SNAPSHOT_MODELS
from ui.models.labels import column_label

PAGE = 500
FIRST_PAGE = 100   # enough to fill a screen: a rare filter shows its first rows sooner
BLOCK = 200
CACHE_MAX = 20_000
_DISPLAY = int(Qt.ItemDataRole.DisplayRole.value)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole.value)
_EDIT = int(Qt.ItemDataRole.EditRole.value)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole.value)
_RIGHT = int((Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter).value)
_LEFT = int((Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter).value)
_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_NO_FLAGS = Qt.ItemFlag.NoItemFlags
_OPS = re.compile(r"^\s*(>=|<=|!=|<>|=|>|<)?\s*(-?\d+(?:\.\d+)?)\s*$")


@dataclass(frozen=True)
class Column:
    name: str
    kind: str          # 'text' | 'int' | 'scaled'
    scale: int = 0

    @property
    def numeric(self) -> bool:
        return self.kind != "text"


def table_columns(table: str) -> list[Column]:
    """The contract columns of `table` with how to filter and show them."""
    out = []
    for c in SNAPSHOT_MODELS[table].__table__.columns:
        if c.name == "snapshot_id":
            continue
        if isinstance(c.type, Scaled):
            out.append(Column(c.name, "scaled", c.type.scale))
        elif isinstance(c.type, Integer):
            out.append(Column(c.name, "int"))
        else:
            out.append(Column(c.name, "text"))
    return out


@dataclass(frozen=True)
class Query:
    """What to show: table, snapshot, filter and sort, compiled to SQL pieces."""

    table: str
    snapshot_id: int
    where: str = ""
    params: tuple[Any, ...] = ()
    sort_column: str | None = None
    descending: bool = False
    columns: tuple[Column, ...] = field(default=(), compare=False)
    exact: bool = False    # an exact text match: let SQLite use an index on (snapshot_id, column)

    @property
    def sorted(self) -> bool:
        return self.sort_column is not None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def make_query(table: str, snapshot_id: int, filter_column: str | None = None, filter_text: str = "",
               sort_column: str | None = None, descending: bool = False) -> Query:
    """Compile a filter (substring for text; `>= 12.5` style for numbers) and a sort to SQL.

    `filter_column` None searches every text column. Raises UserError on a bad number.
    """
    if table not in SNAPSHOT_MODELS:
        raise UserError(_("no such table: {table}").format(table=table))
    columns = table_columns(table)
    by_name = {c.name: c for c in columns}
    where, params, exact = "", (), False
    text = filter_text.strip()
    if text:
        if filter_column is None:
            texts = [c for c in columns if not c.numeric]
            where = "(" + " OR ".join(f"{c.name} LIKE ? ESCAPE '\\'" for c in texts) + ")"
            params = tuple(_like(text) for _c in texts)
        else:
            col = by_name[filter_column]
            if col.numeric:
                m = _OPS.match(text)
                if not m:
                    raise UserError(_("{column}: '{text}' is not a number (examples: 12.5, >= 100, < 0)").format(
                        column=column_label(col.name), text=text))
                op = {"<>": "!=", None: "="}.get(m.group(1), m.group(1))
                try:
                    value = Decimal(m.group(2))
                except InvalidOperation:  # pragma: no cover - the regex admits only numbers
                    raise UserError(text) from None
                if col.kind == "scaled":
                    scaled = value.scaleb(col.scale)
                    if op in ("=", "!=") and scaled != scaled.to_integral_value():
                        where = "0" if op == "=" else "1"  # more places than stored: never equal
                    else:
                        # For < and >, comparing with the exact scaled value keeps the meaning.
                        where, params = f"{col.name} {op} ?", (float(scaled) if scaled != scaled.to_integral_value() else int(scaled),)
                else:
                    where, params = f"{col.name} {op} ?", (float(value) if value != value.to_integral_value() else int(value),)
            elif text.startswith("=") and len(text) > 1:
                where, params, exact = f"{col.name} = ?", (text[1:].strip(),), True
            else:
                where, params = f"{col.name} LIKE ? ESCAPE '\\'", (_like(text),)
    if sort_column is not None and sort_column not in by_name:
        sort_column = None
    return Query(table, snapshot_id, where, params, sort_column, descending, tuple(columns), exact)


_INDEXED: dict[tuple[int, str], frozenset[str]] = {}


def indexed_columns(conn, table: str) -> frozenset[str]:
    """Columns c with an index on (snapshot_id, c, ...) in the store: an exact match on them is a seek."""
    key = (id(conn), table)
    if key not in _INDEXED:
        cols = set()
        for _seq, name, *_rest in conn.execute(f"PRAGMA index_list(snap_{table})").fetchall():
            parts = [r[2] for r in conn.execute(f"PRAGMA index_info({name})").fetchall()]
            if len(parts) >= 2 and parts[0] == "snapshot_id":
                cols.add(parts[1])
        _INDEXED[key] = frozenset(cols)
    return _INDEXED[key]


def load_ids(conn, query: Query, after: int | None = None, limit: int | None = PAGE) -> tuple[array, bool]:
    """Ids of the rows to show: one page after rowid `after` (unsorted) or all (sorted).

    Returns (ids, complete). `conn` is a DBAPI sqlite3 connection owned by the caller's thread.
    """
    table = f"snap_{query.table}"
    # `+snapshot_id`: keep the planner on the rowid order, not the (snapshot_id, pk) index;
    # an exact match on a column with an index on (snapshot_id, column) seeks it instead.
    seek = query.exact and query.where.split(" ", 1)[0] in indexed_columns(conn, query.table)
    conds = ["snapshot_id = ?" if seek else "+snapshot_id = ?"]
    params: list[Any] = [query.snapshot_id]
    if query.where:
        conds.append(query.where)
        params.extend(query.params)
    ids = array("q")
    if query.sorted:
        direction = "DESC" if query.descending else "ASC"
        sql = (f"SELECT rowid FROM {table} WHERE {' AND '.join(conds)} "
               f"ORDER BY {query.sort_column} {direction}, rowid {direction}")
        cur = conn.execute(sql, params)
        while rows := cur.fetchmany(50_000):
            ids.extend(r[0] for r in rows)
        return ids, True
    if after is not None:
        conds.append("rowid > ?")
        params.append(after)
    sql = f"SELECT rowid FROM {table} WHERE {' AND '.join(conds)} ORDER BY rowid"
    if limit is not None:
        sql += f" LIMIT {int(limit) + 1}"
    rows = conn.execute(sql, params).fetchall()
    complete = limit is None or len(rows) <= limit
    ids.extend(r[0] for r in rows[: limit if limit is not None else None])
    return ids, complete


def count_rows(conn, query: Query) -> int:
    """How many rows the query selects (for a status line; may take a moment on big tables)."""
    conds = ["snapshot_id = ?"] + ([query.where] if query.where else [])
    params = [query.snapshot_id, *query.params]
    return int(conn.execute(f"SELECT count(*) FROM snap_{query.table} WHERE {' AND '.join(conds)}", params).fetchone()[0])


class SnapshotTableModel(QAbstractTableModel):
    """Rows of one snapshot table, fetched lazily by id; see the module docstring."""

    def __init__(self, engine: Engine, table: str, snapshot_id: int, parent=None) -> None:
        super().__init__(parent)
        self._raw = engine.raw_connection()
        self.conn = self._raw.driver_connection
        self.query = make_query(table, snapshot_id)
        self.columns: list[Column] = list(self.query.columns)
        self.ids = array("q")
        self.complete = False
        self._cache: OrderedDict[int, tuple] = OrderedDict()
        self._select = f"SELECT rowid, {', '.join(c.name for c in self.columns)} FROM snap_{table} WHERE rowid IN "
        self.apply(self.query, *load_ids(self.conn, self.query, limit=FIRST_PAGE))

    def close(self) -> None:
        """Give the connection back to the pool."""
        if self._raw is not None:
            self._raw.close()
            self._raw = None

    # query control ---------------------------------------------------------------
    @property
    def table(self) -> str:
        return self.query.table

    def set_query(self, query: Query) -> None:
        """Show `query`, loading its first ids on this (GUI) thread."""
        self.apply(query, *load_ids(self.conn, query, limit=FIRST_PAGE))

    def apply(self, query: Query, ids: array, complete: bool) -> None:
        """Show `query` with ids loaded elsewhere (e.g. by a background task)."""
        self.beginResetModel()
        self.query = query
        self.ids = ids
        self.complete = complete
        self.endResetModel()

    def set_filter(self, column: str | None, text: str) -> None:
        q = self.query
        self.set_query(make_query(q.table, q.snapshot_id, column, text, q.sort_column, q.descending))

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort in SQL; column -1 returns to the stored order."""
        q = self.query
        name = self.columns[column].name if 0 <= column < len(self.columns) else None
        # A sort keeps the filter but rebuilds the id list: a reset is the honest signal.
        self.set_query(Query(q.table, q.snapshot_id, q.where, q.params, name,
                             order == Qt.SortOrder.DescendingOrder, q.columns, q.exact))

    # paging ----------------------------------------------------------------------
    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:
        return not parent.isValid() and not self.complete

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> None:
        if parent.isValid() or self.complete:
            return
        after = self.ids[-1] if self.ids else None
        more, complete = load_ids(self.conn, self.query, after=after)
        if more:
            first = len(self.ids)
            self.beginInsertRows(QModelIndex(), first, first + len(more) - 1)
            self.ids.extend(more)
            self.complete = complete
            self.endInsertRows()
        else:
            self.complete = True

    # rows ------------------------------------------------------------------------
    def row_values(self, row: int) -> tuple:
        """The stored values of `row` (scaled integers as stored), through the cache."""
        rid = self.ids[row]
        hit = self._cache.get(rid)
        if hit is not None:
            self._cache.move_to_end(rid)
            return hit
        start = max(0, row - BLOCK // 4)
        wanted = [i for i in self.ids[start:start + BLOCK] if i not in self._cache]
        if rid not in wanted:
            wanted.append(rid)
        cur = self.conn.execute(self._select + f"({','.join('?' * len(wanted))})", wanted)
        for r in cur.fetchall():
            self._cache[r[0]] = tuple(r[1:])
        while len(self._cache) > CACHE_MAX:
            self._cache.popitem(last=False)
        return self._cache[rid]

    def display_value(self, row: int, column: int) -> str:
        value = self.row_values(row)[column]
        if value is None:
            return ""
        col = self.columns[column]
        if col.kind == "scaled":
            return str(from_scaled(value, col.scale))
        return str(value)

    # Qt model API ------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.ids)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        # Hot path (called per cell and role on every paint): plain int compares, no enum work.
        if role == _DISPLAY or role == _TOOLTIP:
            row, column = index.row(), index.column()
            if not index.isValid() or row >= len(self.ids) or column >= len(self.columns):
                return None
            return self.display_value(row, column)
        if role == _ALIGN:
            if not index.isValid() or index.column() >= len(self.columns):
                return None
            return _RIGHT if self.columns[index.column()].numeric else _LEFT
        if role == _EDIT:
            if not index.isValid() or index.row() >= len(self.ids) or index.column() >= len(self.columns):
                return None
            value = self.row_values(index.row())[index.column()]
            col = self.columns[index.column()]
            return str(from_scaled(value, col.scale)) if col.kind == "scaled" and value is not None else value
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if role != _DISPLAY and role != _TOOLTIP:
            return None
        if orientation == Qt.Orientation.Horizontal:
            if not 0 <= section < len(self.columns):
                return None
            name = self.columns[section].name
            return column_label(name) if role == _DISPLAY else name
        if role == _DISPLAY and 0 <= section < len(self.ids):
            return str(section + 1)
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        return _FLAGS if index.isValid() else _NO_FLAGS

    def retranslate(self) -> None:
        if self.columns:
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(self.columns) - 1)
