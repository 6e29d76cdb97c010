"""Region-wide risk ranking: the screening rules S1-S9 run inside the central database
(on PostgreSQL S3, S4, S6-S8 as one query each for the whole region, `region_rules`)."""
from __future__ import annotations

from inspector.ranking.region import InstitutionRank, Ranking, rank_region, ranking_json

__all__ = ["InstitutionRank", "Ranking", "rank_region", "ranking_json"]
