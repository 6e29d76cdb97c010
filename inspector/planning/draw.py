"""The random draw (双随机): N institutions, and a team of K inspectors for each, from published pools.

Algorithm `inspector-draw-v1` (the README shows the few lines of Python that re-derive a plan
from the pool files and the seed alone):

  rng = random.Random(f"{seed}|{sha256 of the institutions pool}|{sha256 of the inspectors pool}")
  units = the institutions sorted by code
  uniform:  drawn = rng.sample(units, N)
  weighted: N times: r = rng.randrange(sum of the weights of the units left), take the first
            unit whose running weight sum exceeds r, remove it; weight = max(1, per_10k in cents)
  free = the inspectors sorted by id
  for each drawn unit, in draw order:
      ok   = free minus who inspected the unit last time, minus who declared a relation with it
      far  = ok minus the unit's own district
      team = rng.sample(far if len(far) >= K else ok, K); those K leave `free`

Python's `random.Random` seeded with a str is the same generator on every platform and
version since 3.2. The seed must come after the pools were published: the plan records each
pool's SHA-256 and publication time, and the draw refuses a seed time at or before the latest
publication (or after the draw itself).
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from inspector.coltypes import TIMESTAMP_FORMAT
from inspector.errors import UserError
from inspector.i18n import _
from inspector.planning.pools import Institution, Inspector, Pool, inspectors, institutions, read_pool

ALGORITHM = "inspector-draw-v1"
REASONS = ("last_inspection", "declared_relation", "same_district")


@dataclass
class Conflict:
    inspector_id: str
    name: str
    reason: str                        # one of REASONS


@dataclass
class Draw:
    order: int
    institution: Institution
    team: list[Inspector]
    conflicts: list[Conflict]
    district_rule: str                 # 'applied' or 'relaxed' (too few inspectors from other districts)


@dataclass
class Plan:
    seed: str
    seed_time: datetime
    drawn_at: datetime
    weighted: bool
    n: int
    team_size: int
    institutions_pool: Pool
    inspectors_pool: Pool
    draws: list[Draw] = field(default_factory=list)

    @property
    def rng_seed(self) -> str:
        return f"{self.seed}|{self.institutions_pool.sha256}|{self.inspectors_pool.sha256}"


def _pick_weighted(rng: random.Random, units: list[Institution], n: int) -> list[Institution]:
    left = list(units)
    drawn = []
    for _i in range(n):
        r = rng.randrange(sum(u.weight for u in left))
        for u in left:
            r -= u.weight
            if r < 0:
                break
        drawn.append(u)
        left.remove(u)
    return drawn


def check_seed_time(seed_time: datetime, pools: list[Pool], now: datetime) -> None:
    """The seed is admissible only if chosen after every pool's publication and not after the draw."""
    latest = max(pools, key=lambda p: p.published_at)
    if seed_time <= latest.published_at:
        raise UserError(_("the seed time {seed_time} is not after the publication of {file} ({published}): "
                          "a seed must be chosen after the pools are published").format(
            seed_time=seed_time.strftime(TIMESTAMP_FORMAT), file=latest.name,
            published=latest.published_at.strftime(TIMESTAMP_FORMAT)))
    if seed_time > now:
        raise UserError(_("the seed time {seed_time} is in the future").format(
            seed_time=seed_time.strftime(TIMESTAMP_FORMAT)))


def draw_plan(institutions_file: Path, inspectors_file: Path, *, n: int, team_size: int, seed: str,
              seed_time: datetime, weighted: bool = False, ranking: bool = False,
              now: datetime | None = None) -> Plan:
    """Draw the plan (see the module text). `ranking`: the institutions file is a published ranking."""
    if not seed.strip():
        raise UserError(_("the seed is empty"))
    if n < 1 or team_size < 1:
        raise UserError(_("--n and --team-size must be at least 1"))
    if weighted and not ranking:
        raise UserError(_("--weighted draws by the ranking: give it with --ranking FILE"))
    ipool = read_pool(institutions_file, "ranking" if ranking else "institutions")
    ppool = read_pool(inspectors_file, "inspectors")
    now = (now or datetime.now()).replace(microsecond=0)
    check_seed_time(seed_time, [ipool, ppool], now)
    units = institutions(ipool)
    people = inspectors(ppool)
    if n > len(units):
        raise UserError(_("cannot draw {n} institutions from a pool of {m}").format(n=n, m=len(units)))
    if n * team_size > len(people):
        raise UserError(_("{n} teams of {k} need {need} inspectors; the pool has {m}").format(
            n=n, k=team_size, need=n * team_size, m=len(people)))
    plan = Plan(seed, seed_time, now, weighted, n, team_size, ipool, ppool)
    rng = random.Random(plan.rng_seed)
    drawn = _pick_weighted(rng, units, n) if weighted else rng.sample(units, n)
    free = list(people)
    for order, unit in enumerate(drawn, 1):
        conflicts = []
        ok = []
        for p in free:
            if p.inspector_id in unit.last_inspectors:
                conflicts.append(Conflict(p.inspector_id, p.name, "last_inspection"))
            elif unit.code in p.relations:
                conflicts.append(Conflict(p.inspector_id, p.name, "declared_relation"))
            else:
                ok.append(p)
        far = [p for p in ok if p.district != unit.district]
        if len(far) >= team_size:
            conflicts += [Conflict(p.inspector_id, p.name, "same_district") for p in ok if p.district == unit.district]
            pool, rule = far, "applied"
        else:
            pool, rule = ok, "relaxed"
        if len(pool) < team_size:
            raise UserError(_("institution {code}: only {m} inspectors left without a conflict, a team needs {k}").format(
                code=unit.code, m=len(pool), k=team_size))
        team = rng.sample(pool, team_size)
        free = [p for p in free if p not in team]
        plan.draws.append(Draw(order, unit, team, conflicts, rule))
    return plan


def plan_json(plan: Plan) -> dict[str, Any]:
    """The plan as a JSON document (`plan draw --format json`, and plan.json beside the PDF)."""
    def pool(p: Pool) -> dict[str, Any]:
        return {"file": p.name, "sha256": p.sha256, "published_at": p.published_at.strftime(TIMESTAMP_FORMAT),
                "rows": len(p.rows), "kind": p.kind}

    return {
        "algorithm": ALGORITHM,
        "seed": plan.seed,
        "seed_time": plan.seed_time.strftime(TIMESTAMP_FORMAT),
        "drawn_at": plan.drawn_at.strftime(TIMESTAMP_FORMAT),
        "weighted": plan.weighted,
        "n": plan.n,
        "team_size": plan.team_size,
        "pools": {"institutions": pool(plan.institutions_pool), "inspectors": pool(plan.inspectors_pool)},
        "draws": [{
            "order": d.order,
            "fixmedins_code": d.institution.code,
            "fixmedins_name": d.institution.name,
            "district": d.institution.district,
            "weight": d.institution.weight if plan.weighted else None,
            "team": [{"inspector_id": p.inspector_id, "name": p.name, "district": p.district} for p in d.team],
            "conflicts": [{"inspector_id": c.inspector_id, "name": c.name, "reason": c.reason} for c in d.conflicts],
            "district_rule": d.district_rule,
        } for d in plan.draws],
    }
