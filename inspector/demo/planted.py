"""The planted cases of the main hospital (and one pharmacy): screening hits and near misses.

Each case is built from explicit times and quantities, on persons, beds and drugs of its
own, so the background cannot change its figures. The expected figures are computed here
from the lines actually written, with exact Decimals.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from random import Random

from inspector.demo.background import StayMaker, observation_visit
from inspector.demo.catalogue import Item
from inspector.demo.clock import DAY, DAYSTR, at
from inspector.demo.engine import Generator, Person, Visit
from inspector.demo.layout import Institution, Ward
from inspector.demo.ledger import PurchaseWriter
from inspector.demo.money import f2, f4, round2


@dataclass
class Case:
    """A planted lead: `key` is the lead key of the rule, `expected` the figures it must show."""

    rule: str
    institution: str
    key: list[str]
    description: str
    expected: dict[str, object] = field(default_factory=dict)


@dataclass
class Decoy:
    """A near miss at a rule's edge that must not be reported."""

    rule: str
    institution: str
    key: list[str]
    description: str
    why: str


def _d(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def _sum_lines(v: Visit, lo: int | None = None, hi: int | None = None, days: set[int] | None = None) -> int:
    total = 0
    for sn, sec, code, ctype, cnt, pric, cents in v.lines or ():
        if lo is not None and sec < lo:
            continue
        if hi is not None and sec >= hi:
            continue
        if days is not None and sec // DAY not in days:
            continue
        total += cents
    return total


class ReservedBeds:
    """Hands out the reserved beds of the main hospital's wards to planted stays."""

    def __init__(self, inst: Institution) -> None:
        self.taken: dict[str, dict[str, list[tuple[int, int]]]] = {
            w.ward_codg: {str(b): [] for b in range(w.beds - inst.reserved_beds + 1, w.beds + 1)} for w in inst.wards}

    def take(self, ward: Ward, begin: int, end: int | None) -> str:
        stop = end if end is not None else 1 << 62
        for label, spans in self.taken[ward.ward_codg].items():
            if all(e <= begin or stop <= b for b, e in spans):
                spans.append((begin, stop))
                return label
        raise RuntimeError(f"no reserved bed left in {ward.ward_codg} at {begin}")


@dataclass
class LedgerPlan:
    """One drug's planted ledger: opening count, purchases, sales, offsets of declared counts."""

    role: str
    opening: int                       # units at 06-01 and 07-01
    purchases: list[tuple[str, int, str]]  # (time, units, price)
    sales: list[tuple[str, int]]       # (time, units)
    offsets: dict[str, int] = field(default_factory=dict)  # count date -> declared minus ledger


_MAIN_LEDGERS = [
    LedgerPlan("s6_hit", 120, [("2026-07-03 10:00:00", 200, "1.32"), ("2026-07-21 10:00:00", 300, "1.32")],
               [("2026-07-06 09:10:00", 60), ("2026-07-09 10:20:00", 90), ("2026-07-12 15:30:00", 80),
                ("2026-07-15 11:00:00", 70), ("2026-07-18 09:40:00", 60), ("2026-07-25 14:00:00", 50),
                ("2026-07-30 10:30:00", 40), ("2026-08-10 09:00:00", 30)]),
    LedgerPlan("s6_zero", 100, [("2026-07-16 10:00:00", 200, "0.48")],
               [("2026-07-08 10:00:00", 60), ("2026-07-14 15:00:00", 40), ("2026-07-20 10:00:00", 50)]),
    LedgerPlan("s6_same_time", 10, [("2026-07-20 11:00:00", 100, "2.15")],
               [("2026-07-20 11:00:00", 30), ("2026-08-05 10:00:00", 20)]),
    LedgerPlan("s7_hit", 300, [("2026-07-10 10:00:00", 200, "1.90"), ("2026-08-15 10:00:00", 100, "2.05")],
               [("2026-07-12 10:00:00", 40), ("2026-07-19 10:00:00", 50), ("2026-07-26 10:00:00", 30),
                ("2026-08-20 10:00:00", 60)], {"2026-08-01": -12}),
    LedgerPlan("s7_pct", 450, [("2026-07-18 10:00:00", 100, "3.05")],
               [("2026-07-05 10:00:00", 20), ("2026-07-15 10:00:00", 30)], {"2026-08-01": 5}),
    LedgerPlan("s7_abs", 60, [],
               [("2026-07-10 10:00:00", 10), ("2026-08-05 10:00:00", 10)], {"2026-09-01": -1}),
]
_PHARMACY_LEDGERS = [
    LedgerPlan("p_s6_hit", 48, [("2026-07-04 10:00:00", 96, "0.45"), ("2026-07-15 10:00:00", 192, "0.45")],
               [("2026-07-05 10:00:00", 24), ("2026-07-08 16:00:00", 36), ("2026-07-11 11:00:00", 48),
                ("2026-07-13 19:00:00", 48), ("2026-07-20 10:00:00", 24)]),
    LedgerPlan("p_s7_hit", 270, [("2026-07-06 10:00:00", 180, "0.71"), ("2026-08-25 10:00:00", 270, "0.74")],
               [("2026-07-09 10:00:00", 27), ("2026-07-16 10:00:00", 54), ("2026-07-23 10:00:00", 27),
                ("2026-07-30 10:00:00", 54), ("2026-08-06 10:00:00", 27), ("2026-08-13 10:00:00", 27),
                ("2026-08-20 10:00:00", 54)], {"2026-09-01": -9}),
]
_COUNT_DATES = ("2026-06-01", "2026-07-01", "2026-08-01", "2026-09-01", "2026-10-01")


class Planter:
    """Builds every planted case; `cases`, `decoys` and `stock` end up in the manifest."""

    def __init__(self, gen: Generator, rng: Random, items: list[Item], main: Institution, pharmacy: Institution,
                 stays: StayMaker, pool: list[Person], purchases: PurchaseWriter) -> None:
        self.gen, self.rng, self.items = gen, rng, items
        self.by_name = {i.name: i for i in items}
        self.main, self.pharmacy = main, pharmacy
        self.stays, self.pool, self.purchases = stays, pool, purchases
        self.beds = ReservedBeds(main)
        self.cases: list[Case] = []
        self.decoys: list[Decoy] = []
        self.stock: dict[str, object] = {}

    # helpers ------------------------------------------------------------------------
    def ward(self, kind: str) -> Ward:
        """The first ward of a department kind."""
        return next(w for w in self.main.wards if w.dept.kind == kind)

    def person(self, age=(45, 80), gend=None) -> Person:
        """A new person for a planted case."""
        return self.gen.new_person(self.rng, age, at("2026-07-01") // DAY, gend)

    def stay(self, kind: str, person: Person, begin: str, end: str, diag: tuple[str, str], **kw) -> Visit:
        """A planted stay on a reserved bed, its lines kept for the expected figures."""
        ward = self.ward(kind)
        b, e = at(begin), at(end)
        bed = self.beds.take(ward, b, e)
        return self.stays.stay(self.rng, ward, bed, b, e, person=person, diag=diag, keep=True, **kw)

    def hit(self, rule: str, key: list[str], description: str, inst: Institution | None = None, **expected) -> None:
        """Record a planted lead."""
        self.cases.append(Case(rule, (inst or self.main).code, key, description, expected))

    def miss(self, rule: str, key: list[str], description: str, why: str, inst: Institution | None = None) -> None:
        """Record a decoy."""
        self.decoys.append(Decoy(rule, (inst or self.main).code, key, description, why))

    def in_window(self, v: Visit) -> int:
        """Cents of the visit's lines dated in the window."""
        return _sum_lines(v, self.gen.w0, self.gen.w1)

    # the cases ----------------------------------------------------------------------
    def build(self) -> None:
        """Every planted case except S2, which must come last."""
        self.readmissions()
        self.outside_stay()
        self.daily_limit()
        self.price_ceiling()
        self.bed_only()
        self.ledgers()
        self.duplicate_trace()

    def readmissions(self) -> None:
        """S1 hits after exactly 7 days (high and medium), an 8-day decoy; S9 overlap and touch."""
        p = self.person((55, 80))
        prev = self.stay("neuro", p, "2026-07-18 09:20:00", "2026-07-29 10:00:00", ("R47.000", "言语障碍"),
                         dscg_diag=("I63.900", "脑梗死"))
        nxt = self.stay("neuro", p, "2026-08-05 15:40:00", "2026-08-16 09:30:00", ("I63.800", "其他脑梗死"))
        self.hit("S1", [prev.mdtrt_id, nxt.mdtrt_id],
                 "Readmitted 7 days after discharge; discharge diagnosis I63.900 (front page) and the new admission "
                 "diagnosis I63.800 share I63 although the first admission diagnosis was R47.000",
                 gap_days=7, severity="high", amount=f2(self.in_window(nxt)))
        p = self.person((40, 70))
        prev = self.stay("surg", p, "2026-06-15 10:00:00", "2026-06-26 09:00:00", ("K80.100", "胆囊结石伴胆囊炎"))
        nxt = self.stay("surg", p, "2026-07-03 16:20:00", "2026-07-12 10:00:00", ("K81.000", "急性胆囊炎"))
        self.hit("S1", [prev.mdtrt_id, nxt.mdtrt_id],
                 "Previous stay ended before the window (2026-06-26); readmitted 7 days later with another "
                 "three-character diagnosis (K81 after K80)",
                 gap_days=7, severity="medium", amount=f2(self.in_window(nxt)))
        p = self.person((60, 85))
        prev = self.stay("resp", p, "2026-08-01 09:00:00", "2026-08-10 11:00:00", ("J44.100", "慢性阻塞性肺病伴急性加重"))
        nxt = self.stay("resp", p, "2026-08-18 08:30:00", "2026-08-27 10:00:00", ("J44.100", "慢性阻塞性肺病伴急性加重"))
        self.miss("S1", [prev.mdtrt_id, nxt.mdtrt_id], "Readmitted 8 calendar days after discharge",
                  "the gap is 8 days, one more than readmission_days = 7")
        p = self.person((60, 85))
        early = self.stay("card", p, "2026-08-20 09:00:00", "2026-08-28 10:00:00", ("I50.900", "心力衰竭"))
        late = self.stay("rehab", p, "2026-08-25 14:00:00", "2026-08-30 10:00:00", ("I69.300", "脑梗死后遗症"))
        lo, hi = at("2026-08-25 14:00:00"), at("2026-08-28 10:00:00")
        self.hit("S9", [early.mdtrt_id, late.mdtrt_id],
                 "The same person is an inpatient of cardiology and rehabilitation from 2026-08-25 14:00 to 2026-08-28 10:00",
                 overlap_from="2026-08-25 14:00:00", overlap_to="2026-08-28 10:00:00", amount=f2(_sum_lines(late, lo, hi)))
        p = self.person((60, 85))
        a = self.stay("neuro", p, "2026-09-01 09:00:00", "2026-09-05 10:00:00", ("I63.900", "脑梗死"))
        b = self.stay("rehab", p, "2026-09-05 10:00:00", "2026-09-15 10:00:00", ("I69.300", "脑梗死后遗症"))
        self.miss("S9", [a.mdtrt_id, b.mdtrt_id], "Transfer from neurology to rehabilitation at the same second",
                  "the stays touch (end = next begin) but do not overlap")
        self.hit("S1", [a.mdtrt_id, b.mdtrt_id],
                 "Discharged from neurology and readmitted to rehabilitation at the same second (split admission, gap 0 days); "
                 "I69 differs from I63",
                 gap_days=0, severity="medium", amount=f2(self.in_window(b)))

    def outside_stay(self) -> None:
        """S4: a charge before admission, charges after discharge; a stay charged exactly at both ends."""
        lab, xray = self.by_name["血细胞分析(血常规)"], self.by_name["X线胸部正位片"]
        statin, dressing = self.by_name["阿托伐他汀钙片"], self.by_name["大换药"]
        g = self.gen

        def before(v: Visit) -> None:
            g.fee(v, at("2026-08-04 08:30:00"), lab, 100)
            g.fee(v, at("2026-08-04 08:40:00"), xray, 100)
        v = self.stay("card", self.person(), "2026-08-04 10:00:00", "2026-08-11 10:00:00", ("I20.000", "不稳定型心绞痛"),
                      extra=before)
        amount = _sum_lines(v, hi=v.begin)
        self.hit("S4", [v.mdtrt_id], "Laboratory test and chest X-ray charged at 08:30 and 08:40, admission at 10:00",
                 amount=f2(amount), lines=2)

        def after(v: Visit) -> None:
            g.fee(v, at("2026-08-19 15:00:00"), statin, 2800)
            g.fee(v, at("2026-08-20 10:00:00"), dressing, 100)
        v = self.stay("card", self.person(), "2026-08-12 09:00:00", "2026-08-19 09:00:00", ("I10.x00", "原发性高血压"),
                      extra=after, settle_at=at("2026-08-20 10:30:00"))
        amount = _sum_lines(v, lo=v.end + 1)
        self.hit("S4", [v.mdtrt_id], "Drugs and a dressing charged on the afternoon of discharge and the next day",
                 amount=f2(amount), lines=2)

        def edges(v: Visit) -> None:
            g.fee(v, v.begin, lab, 100)
            g.fee(v, v.end, statin, 1400)
        v = self.stay("card", self.person(), "2026-08-13 11:00:00", "2026-08-21 10:30:00", ("I48.x00", "心房颤动"),
                      extra=edges)
        self.miss("S4", [v.mdtrt_id], "Charges exactly at the admission and the discharge second",
                  "begntime <= fee_ocur_time <= endtime holds at both ends")

    def daily_limit(self) -> None:
        """S3 on the quick glucose test (limit 4 a day): 6 (hit), 4 (decoy), 4 + 2 - 2 (decoy)."""
        glucose = self.by_name["快速血糖测定"]
        g = self.gen
        sns: dict[str, list[int]] = {}

        def tests(v: Visit) -> None:
            for day, plan in (("2026-07-08", ((" 07:05:00", 200), (" 11:05:00", 200), (" 17:05:00", 200))),
                              ("2026-07-09", ((" 07:05:00", 200), (" 17:05:00", 200))),
                              ("2026-07-10", ((" 07:05:00", 400), (" 11:05:00", 200), (" 11:40:00", -200)))):
                for hhmm, cnt in plan:
                    g.fee(v, at(day + hhmm), glucose, cnt)
                sns[day] = [c for _, c in plan]
        v = self.stay("neuro", self.person(), "2026-07-06 10:00:00", "2026-07-20 10:00:00",
                      ("E11.400", "2型糖尿病伴神经并发症"), extra=tests, exclude=frozenset({glucose.code}))
        day_lines = [ln for ln in v.lines if ln[2] == glucose.code and DAYSTR[ln[1] // DAY] == "2026-07-08"]
        q = sum(ln[4] for ln in day_lines)
        amt = sum(ln[6] for ln in day_lines)
        limit = glucose.daily_limit
        excess = Decimal(q - limit).scaleb(-2)
        self.hit("S3", [v.mdtrt_id, glucose.code, "2026-07-08"], "Quick glucose test 6 times on one day, limit 4",
                 q=f2(q), limit=f2(limit), excess=str(excess),
                 amount=round2(excess * (_d(amt) / Decimal(q).scaleb(-2))))
        self.miss("S3", [v.mdtrt_id, glucose.code, "2026-07-09"], "Quick glucose test exactly 4 times",
                  "the day's quantity equals the limit")
        self.miss("S3", [v.mdtrt_id, glucose.code, "2026-07-10"], "6 tests charged, 2 reversed the same day",
                  "with the reversal the day's quantity is 4, equal to the limit")

    def price_ceiling(self) -> None:
        """S5 on head CT (ceiling 150): 198 (hit), a 198 charge and its reversal (two hits), 150 (decoy)."""
        ct = self.by_name["颅脑CT平扫"]
        g = self.gen
        over, ceiling = 1980000, ct.ceiling
        sn: dict[str, str] = {}

        def charges(v: Visit) -> None:
            sn["hit"] = g.fee(v, at("2026-07-23 10:15:00"), ct, 100, over)
            sn["charge"] = g.fee(v, at("2026-07-25 09:30:00"), ct, 100, over)
            sn["reversal"] = g.fee(v, at("2026-07-25 16:45:00"), ct, -100, over)
            sn["equal"] = g.fee(v, at("2026-07-28 10:00:00"), ct, 100, ceiling)
        self.stay("neuro", self.person(), "2026-07-22 09:00:00", "2026-08-01 10:00:00", ("I63.900", "脑梗死"),
                  extra=charges, exclude=frozenset({ct.code}))
        per_unit = Decimal(over - ceiling).scaleb(-4)
        common = dict(pric=f4(over), ceiling=f4(ceiling))
        self.hit("S5", [sn["hit"]], "Head CT charged at 198.00, ceiling 150.00", cnt="1.00",
                 amount=round2(per_unit), **common)
        self.hit("S5", [sn["charge"]], "Head CT charged at 198.00 (reversed the same day)", cnt="1.00",
                 amount=round2(per_unit), **common)
        self.hit("S5", [sn["reversal"]], "Reversal of the 198.00 head CT: negative quantity, negative amount",
                 cnt="-1.00", amount=round2(-per_unit), **common)
        self.miss("S5", [sn["equal"]], "Head CT charged at exactly the ceiling", "price equal to the ceiling")

    def bed_only(self) -> None:
        """S8: three bed-and-nursing-only days in a row (hit), two (decoy)."""
        days = [at(d) // DAY for d in ("2026-08-21", "2026-08-22", "2026-08-23")]
        v = self.stay("rehab", self.person(), "2026-08-10 09:00:00", "2026-09-03 10:00:00", ("I69.300", "脑梗死后遗症"),
                      day_modes={d: "bed_only" for d in days})
        self.hit("S8", [v.mdtrt_id], "Only bed and nursing charged on 2026-08-21, 08-22 and 08-23",
                 run_days=[DAYSTR[d] for d in days], amount=f2(_sum_lines(v, days=set(days))))
        days = [at(d) // DAY for d in ("2026-09-14", "2026-09-15")]
        v = self.stay("rehab", self.person(), "2026-09-08 09:00:00", "2026-09-25 10:00:00", ("M54.500", "腰痛"),
                      day_modes={d: "bed_only" for d in days})
        self.miss("S8", [v.mdtrt_id], "Only bed and nursing on 2026-09-14 and 09-15",
                  "a run of 2 bed-only days, below bed_only_days = 3")

    # drug ledgers -------------------------------------------------------------------
    def _sale_visit(self, inst: Institution, item: Item, sec: int, units: int, trace: str | None = None) -> str:
        g, rng = self.gen, self.rng
        psn = self.pool[rng.randrange(len(self.pool))] if self.pool else self.person()
        if inst.role == "pharmacy":
            v = g.open_visit(inst, psn, "41", sec - 120, sec + 60)
        else:
            v = g.open_visit(inst, psn, "11", sec - 900, sec + 300, diag=("I10.x00", "原发性高血压"),
                             dept=inst.wards[0].dept.code, dr=(f"D{inst.admdvs}{inst.code[-3:]}9100", None))
            g.fee(v, sec - 840, self.by_name["普通门诊诊查费"], 100)
        g.fee(v, sec, item, units * 100, trace=trace)
        g.close_visit(v, v.end)
        return v.mdtrt_id

    def _ledger(self, inst: Institution, plan: LedgerPlan) -> tuple[Item, dict[str, int], list[tuple[int, int]]]:
        """Writes the plan; returns the drug, declared counts (1/100) and the balance events."""
        item = next(i for i in self.items if plan.role in i.tags)
        price = self.gen.price(inst, item)
        events: list[tuple[int, int]] = []
        for t, units, p in plan.purchases:
            pric = int(Decimal(p).scaleb(4))
            self.purchases.add(self.rng, inst, item, units * 100, pric, at(t))
            events.append((at(t), units * 100))
        for t, units in plan.sales:
            self._sale_visit(inst, item, at(t), units)
            events.append((at(t), -units * 100))
        declared: dict[str, int] = {}
        for d in _COUNT_DATES:
            start = at(d)
            bal = plan.opening * 100 + sum(q for t, q in events if t < start and t >= at("2026-07-01"))
            declared[d] = bal + plan.offsets.get(d, 0) * 100
            self.gen.w.add("drug_inv", (inst.code, item.code, d, f2(declared[d])))
        return item, declared, events

    def ledgers(self) -> None:
        """S6 and S7 in the main hospital's pharmacy and in a retail pharmacy."""
        w0, w1 = self.gen.w0, self.gen.w1
        for inst, plans in ((self.main, _MAIN_LEDGERS), (self.pharmacy, _PHARMACY_LEDGERS)):
            for plan in plans:
                item, declared, events = self._ledger(inst, plan)
                price = self.gen.price(inst, item)
                bal, low = plan.opening * 100, plan.opening * 100
                for t in sorted({t for t, _ in events}):
                    if t < w1:
                        bal += sum(q for tt, q in events if tt == t)
                        low = min(low, bal)
                code = item.code
                if plan.role in ("s6_hit", "p_s6_hit"):
                    sold = [(t, -q) for t, q in events if q < 0 and w0 <= t < w1]
                    qty = sum(q for _, q in sold)
                    amount = Decimal(-low).scaleb(-2) * (Decimal(qty * price).scaleb(-6) / Decimal(qty).scaleb(-2))
                    self.hit("S6", [code], f"{item.name}: sales beyond stock, lowest balance {f2(low)}",
                             inst=inst, shortfall=f2(-low), amount=round2(amount))
                elif plan.role == "s6_zero":
                    self.miss("S6", [code], f"{item.name}: the balance falls to exactly 0 before a delivery",
                              "the lowest balance is 0, not below", inst=inst)
                elif plan.role == "s6_same_time":
                    self.miss("S6", [code], f"{item.name}: a delivery and a sale recorded at the same second",
                              "movements with the same timestamp apply together; the balance never goes below 0", inst=inst)
                for d, off in plan.offsets.items():
                    expected = declared[d] - off * 100
                    diff = off * 100
                    tol = max(100, abs(expected) // 100)
                    if abs(diff) > tol:
                        buys = [(q, Decimal(p)) for t, q, p in
                                [(at(t), u * 100, p) for t, u, p in plan.purchases] if w0 <= t < w1]
                        bq = sum(q for q, _ in buys)
                        avg = sum(Decimal(q).scaleb(-2) * p for q, p in buys) / Decimal(bq).scaleb(-2)
                        self.hit("S7", [code, d], f"{item.name}: declared {f2(declared[d])} on {d}, ledger {f2(expected)}",
                                 inst=inst, declared=f2(declared[d]), expected=f2(expected), difference=f2(diff),
                                 amount=round2(Decimal(abs(diff)).scaleb(-2) * avg))
                    else:
                        self.miss("S7", [code, d], f"{item.name}: declared {f2(declared[d])} on {d}, ledger {f2(expected)}",
                                  "the difference equals the tolerance max(1, 1% of the ledger)", inst=inst)

    def duplicate_trace(self) -> None:
        """C2 lead: one traceability code sold twice, a week apart."""
        item = self.by_name["头孢呋辛酯片"]
        code = "89999990000000004217"
        ids = [self._sale_visit(self.main, item, at(t), 12, trace=code)
               for t in ("2026-09-10 10:20:00", "2026-09-17 15:05:00")]
        self.stock["duplicate_trace"] = {"drug_trac_codg": code, "med_list_codg": item.code, "mdtrt_ids": ids}

    # last: needs every bed line of the main hospital ----------------------------------
    def over_beds(self) -> None:
        """S2: a day with approved beds + 2 patients charged a bed fee (hit), a day with exactly the beds (decoy)."""
        beds = self.main.aprv_bed_cnt
        census = self.gen.bed_census
        for date, extra in (("2026-08-26", 2), ("2026-09-09", 0)):
            day = at(date) // DAY
            have = census[(self.main.code, day)][0]
            for _ in range(beds + extra - have):
                observation_visit(self.gen, self.rng, self.items, self.main, day)
            n, cents = census[(self.main.code, day)]
            if extra:
                amount = Decimal(extra) * (_d(cents) / Decimal(n))
                self.hit("S2", [date], f"{n} patients charged a bed fee on {date}, {beds} approved beds "
                         "(emergency observation patients billed bed days on top of the wards)",
                         n=n, aprv_bed_cnt=beds, excess=extra, amount=round2(amount))
            else:
                self.miss("S2", [date], f"{n} patients charged a bed fee on {date}",
                          "exactly the approved beds, not more")
