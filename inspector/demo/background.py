"""Background activity: inpatient stays bed by bed, outpatient visits, pharmacy purchases.

Each ward bed runs its own sequence of stays, so no two stays share a bed and the number
of patients charged a bed fee on a day never exceeds the beds. Every ordinary inpatient
day carries a general-diagnosis line ('12'), so background days are never bed-only, and
every charge stays inside its stay, under its ceiling and within its daily limit.
"""
from __future__ import annotations

from itertools import accumulate
from random import Random

from inspector.demo.catalogue import (EMERGENCY_DEPT, GIVEN_FEMALE, GIVEN_MALE, OUTPATIENT_DIAGNOSES, SURNAMES,
                                      Department, Item)
from inspector.demo.clock import DAY
from inspector.demo.engine import Generator, Visit
from inspector.demo.layout import Institution, Ward
from inspector.progress import Progress

LEAVE_REASONS = ("回家处理家事", "外出办理医保手续", "节假日请假回家", "家属探视陪同外出")
_DEPT_AGES = {"ped": (1, 13), "obst": (22, 40)}
_INJECTABLE = ("支", "袋")


def _by_tag(items: list[Item], *tags: str) -> list[Item]:
    return [i for i in items if any(t in i.tags for t in tags)]


def _one(items: list[Item], tag: str) -> Item:
    return next(i for i in items if tag in i.tags)


class Picker:
    """Weighted choice over a fixed list: earlier items are more popular."""

    def __init__(self, items: list[Item]) -> None:
        self.items = items
        self.cum = list(accumulate(1.0 / (k + 1.5) for k in range(len(items))))

    def pick(self, rng: Random) -> Item:
        """One item, drawn by popularity."""
        return rng.choices(self.items, cum_weights=self.cum)[0]


class WardProfile:
    """What a department charges, precomputed for speed."""

    def __init__(self, items: list[Item], dept: Department) -> None:
        kind = dept.kind
        tags = ("resp", "card") if kind == "gp" else (kind,)
        self.bed = _one(items, "bed_icu" if kind == "icu" else "bed")
        self.bed2 = _one(items, "bed2")
        self.nurse = {1: _one(items, "nurse1"), 2: _one(items, "nurse2"), 3: _one(items, "nurse3"),
                      0: _one(items, "nurse_icu")}
        self.diag = _one(items, "ipt_diag")
        self.drugs = Picker([i for i in items if i.list_type == "101" and any(t in i.tags for t in tags)])
        self.ivbase = Picker(_by_tag(items, "ivbase"))
        self.iv_first = _one(items, "iv_first")
        self.iv_more = _one(items, "iv_more")
        self.iv_mat = _by_tag(items, "iv_mat")
        self.labs = _by_tag(items, "lab")
        self.exams = [i for i in items if i.list_type == "201" and i.chrgitm_type == "03"
                      and ("exam" in i.tags or any(t in i.tags for t in tags))]
        self.treats = [i for i in items if i.list_type == "201" and i.chrgitm_type in ("05", "04")
                       and any(t in i.tags for t in tags)]
        self.herbs = _by_tag(items, "herb") if kind in ("tcm", "rehab") else []
        self.op = _one(items, dept.operation) if dept.operation else None
        mats = _by_tag(items, dept.operation + "_mat") if dept.operation else []
        self.op_mat = mats[0] if mats else None


def qty(rng: Random, item: Item) -> int:
    """A usual quantity of `item` for one charge, in 1/100 units."""
    lo, hi = item.daily_qty
    return lo if lo == hi else rng.randrange(lo, hi + 1, 100)


def emit_day(gen: Generator, rng: Random, v: Visit, prof: WardProfile, day: int, *, nurse: int, double: bool,
             mode: str = "normal", exclude: frozenset[str] = frozenset(), drugs_per_day: tuple[int, int] = (1, 2)) -> None:
    """The fee lines of one day of a stay; `mode` 'bed_only' charges bed and nursing only."""
    d0 = day * DAY
    first = day == v.begin // DAY
    last = v.end is not None and day == v.end // DAY
    lo = v.begin + 300 if first else d0 + 7 * 3600 + rng.randint(0, 1800)
    hi = d0 + 21 * 3600 if not first else max(d0 + 21 * 3600, min(d0 + DAY - 60, lo + 4 * 3600))
    if last:
        hi = min(hi, v.end - 300)
        if hi <= lo:
            return
        if mode == "normal" and rng.random() < 0.5:  # take-home drugs on the discharge day
            item = prof.drugs.pick(rng)
            if item.code not in exclude:
                gen.fee(v, rng.randint(lo, hi), item, qty(rng, item) * 3)
        return
    if hi <= lo:
        hi = lo + 60
    fee = gen.fee
    fee(v, lo, prof.bed2 if double else prof.bed, 100)
    fee(v, lo + 1, prof.nurse[nurse], 100)
    if mode == "bed_only":
        return
    fee(v, lo + 2, prof.diag, 100)
    injections = 0
    n = rng.randint(*drugs_per_day) + (1 if first else 0)
    for _ in range(n):
        item = prof.drugs.pick(rng)
        if item.code in exclude:
            continue
        t = rng.randint(lo, hi)
        c = qty(rng, item)
        fee(v, t, item, c)
        if item.unit in _INJECTABLE:
            injections += 1
            if rng.random() < 0.015:  # returned by the ward later that day
                fee(v, min(hi, t + rng.randint(600, 7200)), item, -c)
    if injections:
        t = rng.randint(lo, hi)
        base = prof.ivbase.pick(rng)
        fee(v, t, base, 100)
        fee(v, t, prof.iv_first, 100)
        fee(v, t, prof.iv_mat[0], 100)
        if injections > 1:
            fee(v, t, prof.iv_more, min(600, (injections - 1) * 100))
    if first:
        for item in rng.sample(prof.labs, 3):
            if item.code not in exclude:
                fee(v, rng.randint(lo, hi), item, 100)
        if prof.exams:
            item = rng.choice(prof.exams)
            if item.code not in exclude:
                fee(v, rng.randint(lo, hi), item, 100)
    else:
        r = rng.random()
        if r < 0.12:
            item = rng.choice(prof.labs)
            if item.code not in exclude:
                fee(v, rng.randint(lo, hi), item, 100)
        elif r < 0.16 and prof.exams:
            item = rng.choice(prof.exams)
            if item.code not in exclude:
                fee(v, rng.randint(lo, hi), item, 100)
    if prof.treats and rng.random() < 0.5:
        item = rng.choice(prof.treats)
        if item.code not in exclude:
            c = qty(rng, item)
            if item.daily_limit is not None:
                c = min(c, item.daily_limit)
            fee(v, rng.randint(lo, hi), item, c)
    if prof.herbs and rng.random() < 0.4:
        t = rng.randint(lo, hi)
        for item in rng.sample(prof.herbs, 3):
            fee(v, t, item, qty(rng, item))
    if prof.op is not None and day == v.begin // DAY + 1 and v.oprn is not None:
        t = rng.randint(lo, hi)
        fee(v, t, prof.op, 100)
        if prof.op_mat is not None:
            fee(v, t, prof.op_mat, 100)


class StayMaker:
    """Creates inpatient stays with their daily fees, settlement and front page."""

    def __init__(self, gen: Generator, items: list[Item], inst: Institution, cutoff: int) -> None:
        self.gen = gen
        self.inst = inst
        self.cutoff = cutoff
        self.profiles: dict[str, WardProfile] = {w.ward_codg: WardProfile(items, w.dept) for w in inst.wards}
        self.doctors: dict[str, list[tuple[str, str]]] = {}

    def doctor(self, rng: Random, ward: Ward) -> tuple[str, str]:
        """One of the ward's four doctors (code, name)."""
        docs = self.doctors.get(ward.ward_codg)
        if docs is None:
            base = len(self.doctors) * 10
            docs = [(f"D{self.inst.admdvs}{self.inst.code[-3:]}{base + k:04d}",
                     SURNAMES[(base + k * 7) % len(SURNAMES)] + (GIVEN_MALE + GIVEN_FEMALE)[(base * 3 + k * 5) % 80])
                    for k in range(4)]
            self.doctors[ward.ward_codg] = docs
        return rng.choice(docs)

    def stay(self, rng: Random, ward: Ward, bed: str, begin: int, end: int | None, *, person=None,
             diag: tuple[str, str] | None = None, keep: bool = False, day_modes: dict[int, str] | None = None,
             exclude: frozenset[str] = frozenset(), settle: bool = True, dscg_diag: tuple[str, str] | None = None,
             extra=None, settle_at: int | None = None) -> Visit:
        """One stay from `begin` to `end` (None or after the cutoff: still admitted)."""
        gen, inst = self.gen, self.inst
        if end is not None and end > self.cutoff:
            end = None
        dept = ward.dept
        if person is None:
            person = gen.new_person(rng, _DEPT_AGES.get(dept.kind, (28, 88)), begin // DAY)
        diag = diag or rng.choice(dept.diagnoses)
        v = gen.open_visit(inst, person, "21", begin, end, ward=ward.ward_codg, bed=bed, diag=diag,
                           dept=dept.code, dr=self.doctor(rng, ward), keep=keep)
        prof = self.profiles[ward.ward_codg]
        if prof.op is not None and rng.random() < 0.6:
            v.oprn = {"op_surg": "51.2300", "op_ortho": "81.5100", "op_obst": "74.1x00", "op_card": "36.0600"}[dept.operation]
        nurse = 0 if dept.kind == "icu" else (2 if rng.random() < 0.7 else (1 if rng.random() < 0.67 else 3))
        double = rng.random() < 0.2
        last_day = (end // DAY) if end is not None else (self.cutoff // DAY - 1)
        modes = day_modes or {}
        for day in range(begin // DAY, last_day + 1):
            emit_day(gen, rng, v, prof, day, nurse=nurse, double=double, mode=modes.get(day, "normal"),
                     exclude=exclude, drugs_per_day=inst.lines_per_day)
        if extra is not None:
            extra(v)
        v.dscg_diag = dscg_diag
        gen.close_visit(v, (settle_at or end) if (end is not None and settle) else None)
        return v

    def background(self, rng: Random, start_day: int, reserved: int, progress: Progress | None = None,
                   label: str = "") -> list[Visit]:
        """Stays on every non-reserved bed from about `start_day` to the cutoff; returns those still admitted."""
        open_stays: list[Visit] = []
        cutoff = self.cutoff
        for n, ward in enumerate(self.inst.wards):
            if progress is not None:
                progress.check()
                progress.set_progress(label, n, len(self.inst.wards))
            lo_los, hi_los = ward.dept.los
            gap_mean = (lo_los + hi_los) / 2 / 3
            for b in range(1, ward.beds - reserved + 1):
                bed = str(b)
                day = start_day - rng.randint(0, hi_los)
                t = day * DAY + rng.randint(8 * 3600 + 1800, 19 * 3600)
                while t < cutoff:
                    los = rng.randint(lo_los, hi_los)
                    end = (t // DAY + los) * DAY + rng.randint(8 * 3600 + 1800, 11 * 3600 + 1800)
                    v = self.stay(rng, ward, bed, t, end)
                    if v.end is None:
                        open_stays.append(v)
                        break
                    self._maybe_leave(rng, v)
                    gap = int(rng.expovariate(1 / gap_mean))
                    if gap == 0:
                        t = end + rng.randint(2 * 3600, 8 * 3600)
                        if t // DAY != end // DAY:
                            t = end // DAY * DAY + DAY + 9 * 3600
                    else:
                        t = (end // DAY + gap) * DAY + rng.randint(8 * 3600, 20 * 3600)
        return open_stays

    def _maybe_leave(self, rng: Random, v: Visit) -> None:
        if v.end is not None and v.end - v.begin > 5 * DAY and rng.random() < 0.04:
            b = (v.begin // DAY + 2) * DAY + 14 * 3600
            self.gen.leave(v, b, b + rng.choice((6, 20, 26)) * 3600, rng.choice(LEAVE_REASONS))


def outpatients(gen: Generator, rng: Random, items: list[Item], inst: Institution, pool: list,
                first_day: int, last_day: int, cutoff: int) -> None:
    """Outpatient visits ('11', chronic '14') or, at a pharmacy, purchases ('41')."""
    pharmacy = inst.role == "pharmacy"
    clinic = inst.role == "clinic"
    drugs = Picker([i for i in items if i.list_type == "101" and ("pharmacy" if pharmacy else "opd") in i.tags])
    reg = _one(items, "opd_reg")
    diag_fee = _one(items, "opd_diag")
    senior = _one(items, "opd_diag_senior")
    labs = _by_tag(items, "opd_lab")
    herbs = _by_tag(items, "herb")
    tcm_treat = [i for i in items if i.list_type == "201" and "tcm" in i.tags]
    depts = sorted({(w.dept.code, w.dept.name) for w in inst.wards}) or [("5001", "中医科")]
    dr_base = f"D{inst.admdvs}{inst.code[-3:]}"
    for day in range(first_day, last_day + 1):
        d0 = day * DAY
        n = max(0, inst.outpatients_per_day + rng.randint(-inst.outpatients_per_day // 4 - 1, inst.outpatients_per_day // 4 + 1))
        for _ in range(n):
            if pool and rng.random() < 0.6:
                psn = pool[rng.randrange(len(pool))]
            else:
                psn = gen.new_person(rng, (18, 85), day)
                pool.append(psn)
            if pharmacy:
                begin = d0 + rng.randint(8 * 3600, 21 * 3600 + 1800)
                end = begin + rng.randint(120, 600)
            else:
                begin = d0 + rng.randint(7 * 3600 + 1800, 17 * 3600 + 1800)
                end = begin + rng.randint(1200, 5400)
            if end > cutoff:
                continue
            if pharmacy:
                v = gen.open_visit(inst, psn, "41", begin, end)
                for item in dict.fromkeys(drugs.pick(rng) for _ in range(rng.randint(1, 3))):
                    c = qty(rng, item) * rng.choice((3, 6, 7))
                    gen.fee(v, begin + rng.randint(30, 90), item, c)
                gen.close_visit(v, end)
                continue
            med_type = "14" if rng.random() < 0.2 else "11"
            dept = rng.choice(depts)
            diag = rng.choice(OUTPATIENT_DIAGNOSES)
            dr = (f"{dr_base}{9000 + rng.randrange(12):04d}", None)
            v = gen.open_visit(inst, psn, med_type, begin, end, diag=diag, dept=dept[0], dr=dr)
            t = begin + 60
            if inst.tier == "3":
                gen.fee(v, t, reg, 100)
            gen.fee(v, t, senior if rng.random() < 0.3 else diag_fee, 100)
            if clinic:
                for item in rng.sample(herbs, 4):
                    gen.fee(v, t + 600, item, qty(rng, item) * 7)
                if rng.random() < 0.5:
                    gen.fee(v, t + 900, rng.choice(tcm_treat), 100)
            else:
                if rng.random() < 0.25:
                    gen.fee(v, t + 300, rng.choice(labs), 100)
                for item in dict.fromkeys(drugs.pick(rng) for _ in range(rng.randint(1, 3))):
                    gen.fee(v, end - 120, item, qty(rng, item) * rng.choice((3, 7, 14)))
            gen.close_visit(v, end)


def observation_visit(gen: Generator, rng: Random, items: list[Item], inst: Institution, day: int) -> Visit:
    """An emergency observation visit ('11') charged one observation-bed day."""
    psn = gen.new_person(rng, (18, 85), day)
    begin = day * DAY + rng.randint(30 * 60, 5 * 3600)
    end = begin + rng.randint(6 * 3600, 12 * 3600)
    v = gen.open_visit(inst, psn, "11", begin, end, diag=("R10.400", "腹痛") if rng.random() < 0.5 else ("R50.900", "发热"),
                       dept=EMERGENCY_DEPT[0], dr=(f"D{inst.admdvs}{inst.code[-3:]}8001", None))
    gen.fee(v, begin + 300, _one(items, "opd_diag"), 100)
    gen.fee(v, begin + 600, _one(items, "bed_obs"), 100)
    gen.fee(v, begin + 900, _one(items, "lab"), 100)
    gen.close_visit(v, end)
    return v
