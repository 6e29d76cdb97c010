"""The drug-ledger running balance (S6, S7 and the stock count C2 all read it from here).

Per drug G of a snapshot: start at the opening count, the latest `drug_inv` of G with
`invdate <= W0's date`, read at 00:00 of its invdate (0 at W0 when G has none); then, in
time order, add purchases, subtract purchase returns (`drug_purc.retn_flag='1'`), subtract
sales, add sales returns (`drug_sel.retn_flag='1'`). Quantities are stored positive; the
flag gives the direction. A movement at exactly the opening instant (00:00 of invdate)
comes after the count. Movements with the same timestamp are applied together.

Everything is summed in SQL over the scaled integers of the store (quantities in 1/100),
so balances are exact; Python sees `Decimal` with two places.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import text

from inspector.coltypes import DATE_FORMAT, TIMESTAMP_FORMAT, from_scaled

QTY_SCALE = 2
PRICE_SCALE = 4


def ts(value: datetime | date | str) -> str:
    """Contract time text of a datetime (a date means its 00:00:00); text passes through."""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return value.strftime(TIMESTAMP_FORMAT)
    return value.strftime(DATE_FORMAT) + " 00:00:00"


def window_bounds(date_from: date, date_to: date) -> tuple[str, str]:
    """(W0, W1) as contract time text for the review window D0..D1 (both days included)."""
    return ts(date_from), ts(date_to + timedelta(days=1))


def round_half_up(value: Fraction | Decimal | int, places: int = 2) -> Decimal:
    """Round an exact value half-up (ties away from zero) to `places`, once, at the end."""
    f = Fraction(value)
    sign = -1 if f < 0 else 1
    units = (abs(f) * 10**places + Fraction(1, 2)).__floor__()
    return Decimal(sign * units).scaleb(-places)


def round_cents(value: Fraction | Decimal | int) -> Decimal:
    """Round an exact amount half-up (ties away from zero) to cents."""
    return round_half_up(value, 2)


@dataclass(frozen=True)
class Opening:
    """Where a drug's running balance starts."""

    med_list_codg: str
    invdate: date | None     # the opening count's day; None when the drug has none
    start: str               # contract time text the balance starts at (invdate 00:00, else W0)
    quantity: Decimal        # the opening count (0.00 when none)


# Per drug: its opening count day and quantity (latest drug_inv on or before W0's date).
# One grouped pass; SQLite takes the bare columns from the row holding max(invdate).
_OPENING_SQL = """
SELECT med_list_codg, max(invdate) AS invdate, inv_cnt
FROM snap_drug_inv
WHERE snapshot_id = :sid AND invdate <= :w0d {code_filter}
GROUP BY med_list_codg
"""

# Signed quantity of every movement of one drug (scaled 1/100), with its time.
_MOVES_SQL = """
SELECT purc_time AS t, CASE WHEN retn_flag = '1' THEN -purc_cnt ELSE purc_cnt END AS q
FROM snap_drug_purc
WHERE snapshot_id = :sid AND med_list_codg = :code AND purc_time >= :start AND purc_time {op} :until
UNION ALL
SELECT sel_retn_time AS t, CASE WHEN retn_flag = '1' THEN sel_retn_cnt ELSE -sel_retn_cnt END AS q
FROM snap_drug_sel
WHERE snapshot_id = :sid AND med_list_codg = :code AND sel_retn_time >= :start AND sel_retn_time {op} :until
"""


def opening_count(conn: Any, snapshot_id: int, med_list_codg: str, w0: datetime | str) -> Opening:
    """The opening count of one drug for a window starting at `w0`."""
    w0t = ts(w0)
    row = conn.execute(
        text(_OPENING_SQL.format(code_filter="AND med_list_codg = :code")),
        {"sid": snapshot_id, "w0d": w0t[:10], "code": med_list_codg},
    ).first()
    if row is None:
        return Opening(med_list_codg, None, w0t, Decimal("0.00"))
    return Opening(med_list_codg, datetime.strptime(row[1], DATE_FORMAT).date(), row[1] + " 00:00:00",
                   from_scaled(row[2], QTY_SCALE))


def running_balance(conn: Any, snapshot_id: int, med_list_codg: str, w0: datetime | str,
                    until: datetime | str, inclusive: bool = True) -> Decimal:
    """The running balance of one drug after every movement before `until` (or at it, when
    `inclusive`): S6 reads it up to W1 exclusive, S7 at 00:00 of a count day exclusive, the
    stock count at the visit time V inclusive."""
    op = opening_count(conn, snapshot_id, med_list_codg, w0)
    total = conn.execute(
        text(f"SELECT coalesce(sum(q), 0) FROM ({_MOVES_SQL.format(op='<=' if inclusive else '<')})"),
        {"sid": snapshot_id, "code": med_list_codg, "start": op.start, "until": ts(until)},
    ).scalar_one()
    return op.quantity + from_scaled(total, QTY_SCALE)


def balance_path(conn: Any, snapshot_id: int, med_list_codg: str, w0: datetime | str,
                 until: datetime | str, inclusive: bool = False) -> Iterator[tuple[str, Decimal]]:
    """(time, balance) of one drug: first the opening instant and count, then the balance
    after each distinct movement timestamp (same-timestamp movements applied together),
    streamed in time order. S6's lowest balance is `min(b for _, b in balance_path(...))`."""
    op = opening_count(conn, snapshot_id, med_list_codg, w0)
    yield op.start, op.quantity
    balance = int(op.quantity.scaleb(QTY_SCALE))
    rows = conn.execute(
        text(f"SELECT t, sum(q) FROM ({_MOVES_SQL.format(op='<=' if inclusive else '<')}) GROUP BY t ORDER BY t"),
        {"sid": snapshot_id, "code": med_list_codg, "start": op.start, "until": ts(until)},
    )
    for t, q in rows:
        balance += q
        yield t, from_scaled(balance, QTY_SCALE)


def ledger_drugs_sql() -> str:
    """SQL (param :sid) selecting the distinct `med_list_codg` of the snapshot's drug ledgers."""
    return (
        "SELECT med_list_codg FROM (SELECT DISTINCT med_list_codg FROM snap_drug_inv WHERE snapshot_id = :sid) "
        "UNION SELECT med_list_codg FROM (SELECT DISTINCT med_list_codg FROM snap_drug_purc WHERE snapshot_id = :sid) "
        "UNION SELECT med_list_codg FROM (SELECT DISTINCT med_list_codg FROM snap_drug_sel WHERE snapshot_id = :sid)"
    )


def balances(conn: Any, snapshot_id: int, w0: datetime | str, until: datetime | str,
             inclusive: bool = True, codes: list[str] | None = None) -> dict[str, Decimal]:
    """The running balance of every ledger drug (or of `codes`) in one SQL pass: code -> balance."""
    w0t = ts(w0)
    op = "<=" if inclusive else "<"
    code_filter = ""
    params: dict[str, Any] = {"sid": snapshot_id, "w0d": w0t[:10], "w0": w0t, "until": ts(until)}
    if codes is not None:
        names = [f":c{i}" for i in range(len(codes))]
        params.update({f"c{i}": c for i, c in enumerate(codes)})
        code_filter = f"WHERE d.med_list_codg IN ({', '.join(names) or 'NULL'})"
    # Movements are summed per drug in one grouped pass over each ledger, joined to each
    # drug's start instant (faster than a correlated sum per drug).
    sql = f"""
    WITH drugs AS ({ledger_drugs_sql()}),
    op AS ({_OPENING_SQL.format(code_filter='')}),
    st AS (
        SELECT d.med_list_codg AS code,
               coalesce(op.invdate || ' 00:00:00', :w0) AS start,
               coalesce(op.inv_cnt, 0) AS q0
        FROM drugs d LEFT JOIN op ON op.med_list_codg = d.med_list_codg
        {code_filter}
    ),
    mv AS (
        SELECT p.med_list_codg AS code,
               sum(CASE WHEN p.retn_flag = '1' THEN -p.purc_cnt ELSE p.purc_cnt END) AS q
        FROM snap_drug_purc p JOIN st ON st.code = p.med_list_codg
        WHERE p.snapshot_id = :sid AND p.purc_time >= st.start AND p.purc_time {op} :until
        GROUP BY p.med_list_codg
        UNION ALL
        SELECT s.med_list_codg,
               sum(CASE WHEN s.retn_flag = '1' THEN s.sel_retn_cnt ELSE -s.sel_retn_cnt END)
        FROM snap_drug_sel s JOIN st ON st.code = s.med_list_codg
        WHERE s.snapshot_id = :sid AND s.sel_retn_time >= st.start AND s.sel_retn_time {op} :until
        GROUP BY s.med_list_codg
    ),
    tot AS (SELECT code, sum(q) AS q FROM mv GROUP BY code)
    SELECT st.code, st.q0 + coalesce(tot.q, 0) FROM st LEFT JOIN tot ON tot.code = st.code ORDER BY st.code
    """
    return {code: from_scaled(q, QTY_SCALE) for code, q in conn.execute(text(sql), params)}


@dataclass(frozen=True)
class SalesFigures:
    """Sales (retn_flag '0') of one drug in the window, exact scaled sums."""

    med_list_codg: str
    amount_e6: int        # sum(cnt x pric), in 1/1,000,000 yuan
    quantity_e2: int      # sum(cnt), in 1/100 unit

    @property
    def amount(self) -> Decimal:
        """Sales amount, exact (6 places)."""
        return Decimal(self.amount_e6).scaleb(-6)

    @property
    def average_price(self) -> Fraction:
        """Quantity-weighted average sale price, exact; 0 without sales."""
        if self.quantity_e2 == 0:
            return Fraction(0)
        return Fraction(self.amount_e6, 10**6) / Fraction(self.quantity_e2, 100)


def sales_in_window(conn: Any, snapshot_id: int, w0: datetime | str, w1: datetime | str) -> dict[str, SalesFigures]:
    """Per drug with sales in [W0, W1): sales amount and quantity over `retn_flag='0'` lines."""
    rows = conn.execute(
        text(
            "SELECT med_list_codg, sum(sel_retn_cnt * pric), sum(sel_retn_cnt) FROM snap_drug_sel "
            "WHERE snapshot_id = :sid AND retn_flag = '0' AND sel_retn_time >= :w0 AND sel_retn_time < :w1 "
            "GROUP BY med_list_codg"
        ),
        {"sid": snapshot_id, "w0": ts(w0), "w1": ts(w1)},
    )
    return {code: SalesFigures(code, int(a), int(q)) for code, a, q in rows}


def purchase_prices_in_window(conn: Any, snapshot_id: int, w0: datetime | str, w1: datetime | str) -> dict[str, Fraction]:
    """Per drug with purchases (retn_flag '0') in [W0, W1): the quantity-weighted average
    purchase price sum(purc_cnt x purc_pric) / sum(purc_cnt), exact (S7's price)."""
    rows = conn.execute(
        text(
            "SELECT med_list_codg, sum(purc_cnt * purc_pric), sum(purc_cnt) FROM snap_drug_purc "
            "WHERE snapshot_id = :sid AND retn_flag = '0' AND purc_time >= :w0 AND purc_time < :w1 "
            "GROUP BY med_list_codg HAVING sum(purc_cnt) <> 0"
        ),
        {"sid": snapshot_id, "w0": ts(w0), "w1": ts(w1)},
    )
    return {code: Fraction(int(a), 10**6) / Fraction(int(q), 100) for code, a, q in rows}
