"""Merging laptops' bundles: four laptops record 5,000 census events each; a fifth laptop (the
lead's) imports their four bundles. Prints the merge time against a baseline measured in the same
run: the plain insert of the same events (no checks), and the bundles' JSON parse alone. Goal:
merging four bundles of 5,000 events in under 5 s. Ends with one JSON line.

    .venv/bin/python bench/exchange.py [--events 5000]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("INSPECTOR_TEST_ARGON2", "fast")   # the accounts are scaffolding here, not measured

from inspector.db import open_store, write_transaction  # noqa: E402
from inspector.events import append_event  # noqa: E402
from inspector.exchange.bundle import export_bundle, import_bundle, read_bundle  # noqa: E402
from tests.support.laptops import BEDS, anchors, build_laptops, key  # noqa: E402

PEOPLE = {
    "zhang": ("张组长", "lead", "61010020269001"),
    "li": ("李检查", "inspector", "61010020269002"),
    "wang": ("王建国", "inspector", "61010020269003"),
    "liu": ("刘检查", "inspector", "61010020269005"),
    "chen": ("陈检查", "inspector", "61010020269006"),
}
OWNERS = ("zhang", "li", "wang", "liu", "chen")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=5000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        build_laptops(base, OWNERS, PEOPLE)
        bundles = []
        for k, login in enumerate(OWNERS[1:], start=1):
            e = open_store(base / f"l{k}.db")
            me = key(e, login)
            with e.connect() as conn:
                iid = conn.exec_driver_sql("SELECT id FROM inspection").scalar()
            for start in range(0, args.events, 1000):
                with write_transaction(e) as conn:
                    for n in range(start, min(args.events, start + 1000)):
                        append_event(e, iid, "census.outcome",
                                     {"mdtrt_id": BEDS[n % len(BEDS)], "outcome": "present", "note": f"tick {n}"},
                                     actor=me, conn=conn)
            out = base / f"l{k}.inspector-bundle"
            export_bundle(e, iid, out, login=login, name=me.display_name, private_key=me.key.private_key,
                          certificate=me.key.certificate)
            bundles.append(out)
            e.dispose()
        lead = open_store(base / "l0.db")
        a = anchors(lead)
        t0 = time.perf_counter()
        reader = key(lead, "zhang")
        added = sum(import_bundle(lead, b, anchors=a, author="zhang", reader=reader).added for b in bundles)
        merge = time.perf_counter() - t0
        t0 = time.perf_counter()
        docs = [read_bundle(b, reader)[0] for b in bundles]
        parse = time.perf_counter() - t0
        # baseline: the same events inserted as they are, no signature, chain or team checks
        plain = open_store(base / "plain.db")
        with plain.begin() as c:
            c.exec_driver_sql("DROP INDEX IF EXISTS ux_event_chain_position")
        t0 = time.perf_counter()
        with write_transaction(plain) as conn:
            rows = [(ev["id"], None, ev["at"], ev["author"], ev["device"], ev["kind"], json.dumps(ev["payload"]),
                     ev["prev_hash"], ev["hash"], ev["chain"], ev["dseq"], ev["clock"], json.dumps(ev["vv"]), "u", 2)
                    for d in docs for ev in d["body"]["events"]]
            conn.connection.driver_connection.executemany(
                "INSERT OR IGNORE INTO event (id, inspection_id, at, author, device, kind, payload, prev_hash, hash, "
                "chain, dseq, clock, vv, inspection_uid, hv) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        baseline = time.perf_counter() - t0
        lead.dispose()
        plain.dispose()
    load = os.getloadavg()[0]
    print(f"merge of {len(bundles)} bundles of {args.events} events: {merge:.2f} s ({added} events added); "
          f"JSON parse alone {parse:.2f} s; plain insert of the same events {baseline:.2f} s; "
          f"ratio to plain insert {merge / baseline:.1f}; load {load:.1f}")
    print(json.dumps({"bench": "exchange", "date": date.today().isoformat(), "machine": platform.machine(),
                      "cores": os.cpu_count(), "load": round(load, 1), "bundles": len(bundles),
                      "events_per_bundle": args.events, "merge_s": round(merge, 2), "parse_s": round(parse, 2),
                      "plain_insert_s": round(baseline, 2), "added": added}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
