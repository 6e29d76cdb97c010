"""Drug ledgers of the background: stock counts, purchases and supplier returns that keep
every drug's running balance at or above zero and every declared count equal to the ledger.
"""
from __future__ import annotations

from random import Random

from inspector.demo.catalogue import SUPPLIERS, Item
from inspector.demo.clock import DAY, DAYSTR, ts
from inspector.demo.engine import Generator
from inspector.demo.layout import Institution
from inspector.demo.money import f2, f4


def count_days(first_day: int, last_day: int) -> list[int]:
    """The first day of every month from `first_day` to `last_day` (stock counts)."""
    return [d for d in range(first_day, last_day + 1) if DAYSTR[d].endswith("-01")]


class PurchaseWriter:
    """Numbers and writes `drug_purc` rows."""

    def __init__(self, gen: Generator) -> None:
        self.gen = gen
        self.n = 0

    def add(self, rng: Random, inst: Institution, item: Item, cnt: int, pric: int, sec: int, retn: bool = False) -> str:
        """Write one purchase (or, with `retn`, a return to the supplier); returns purc_id."""
        self.n += 1
        purc_id = f"PU{self.n:09d}"
        lot = f"{DAYSTR[sec // DAY - rng.randint(60, 400)][2:].replace('-', '')}{rng.randint(1, 99):02d}"
        self.gen.w.add("drug_purc", (purc_id, inst.code, item.code, rng.choice(SUPPLIERS), lot, f2(cnt), f4(pric),
                                     ts(sec), "1" if retn else "0"))
        return purc_id


def purchase_price(inst: Institution, sale_price: int) -> int:
    """Public hospitals buy at the sale price (zero mark-up); pharmacies at about 72 %."""
    if inst.role == "pharmacy":
        return sale_price * 72 // 100 // 100 * 100
    return sale_price


def simulate(gen: Generator, rng: Random, purchases: PurchaseWriter, inst: Institution, items: list[Item],
             first_day: int, cutoff: int) -> None:
    """Counts and purchases for every drug `inst` sold, except the planted ones in `items`' tags."""
    last_day = cutoff // DAY
    counts = set(count_days(first_day, last_day))
    for item in sorted(items, key=lambda i: i.code):
        key = (inst.code, item.code)
        per_day = gen.sales.get(key)
        if not per_day:
            continue
        active = [d for d in per_day if d >= first_day]
        total = sum(per_day[d][0] for d in active)
        span = max(1, last_day - first_day)
        avg = max(100, total // span)
        safety = avg * 3
        pack = 1000 if avg < 5000 else 10000
        price = purchase_price(inst, gen.sale_price[key])

        def need(day: int) -> int:
            rec = per_day.get(day)
            return (rec[0] if rec else 0) + safety

        s0 = per_day.get(first_day, [0, 0])[0]
        bal = max(avg * 20, s0 + need(first_day + 1))
        bal = -(-bal // pack) * pack
        for d in range(first_day, last_day + 1):
            if d in counts:
                gen.w.add("drug_inv", (inst.code, item.code, DAYSTR[d], f2(bal)))
            sold, returned = per_day.get(d, (0, 0))
            after = bal - sold
            if d < last_day:
                want = need(d + 1)
                if after < want:
                    q = max(avg * 14, want - after)
                    q = -(-q // pack) * pack
                    purchases.add(rng, inst, item, q, price, d * DAY + rng.randint(9 * 3600, 16 * 3600))
                    bal += q
                    after += q
                elif after > avg * 10 and rng.random() < 0.02:
                    q = (after - want) // 4 // 100 * 100
                    if q > 0:
                        purchases.add(rng, inst, item, q, price, d * DAY + rng.randint(16 * 3600, 18 * 3600), retn=True)
                        bal -= q
            bal += returned - sold
