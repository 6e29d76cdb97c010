"""Joining on site at hospital scale: the shipped `exchange export-snapshot` on the lead's laptop
and `exchange import` of its file on a new laptop, against a plain file copy plus the digest check.

    .venv/bin/python bench/snapshot_exchange.py [--rounds N] [--resync] [--data DIR] [--work DIR]

1. The lead's store (cached under --work, default DATA/snapshot-exchange): an
   encrypted store with the team's accounts, signing keys from a test CA and the team, into which
   the shipped `python main.py sync` (its own process, as the lead) syncs the demo hospital central
   (bench/procs.py `windows`; /work/benchdata/hospital-central.db, never built here).
2. Ours, each its own process (bench/procs.py `run`: wall, CPU, peak RSS):
   `python main.py exchange export-snapshot --inspection ID --out FILE` as the lead, then
   `python main.py exchange import FILE --trust ca.pem --db NEW` as an inspector on a laptop
   without a store (it creates their encrypted store and account, checks the signature, copies
   the rows in, recomputes every table's row count and digest, merges the events). Both with the
   product's Argon2id parameters, as a person joining would meet them.
3. Baseline, its own process (`bench/snapshot_copy_baseline.py`): a plain copy of the exported
   file (`shutil.copyfile`) plus the same digests (inspector.snapshot's canonical digest of every
   table, read through each table's key) computed on the copy, opened with its transfer code (the
   file is encrypted), compared with the manifest's.

Prints each process's figures and the ratio (export + import) / baseline, CPU time (the machine is
shared) and wall, each side's fastest round. Goal: ratio <= 1.5, peak memory <= 300 MB. The last line is one JSON object.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from procs import BENCH, DEFAULT_DATA, load, main_py, run, sync_args, windows  # noqa: E402

PEOPLE = {
    "zhang": ("张组长", "lead", "61010020269001"),
    "li": ("李检查", "inspector", "61010020269002"),
    "wang": ("王建国", "inspector", "61010020269003"),
}
CA_PASS = b"bench-ca-passphrase"
KEY_PASS = b"bench-key-passphrase"


def _password(login: str) -> str:
    return f"bench-password-{login}"


def _env(work: Path, login: str) -> dict[str, str]:
    f = work / "passwords" / f"{login}.txt"
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text(_password(login) + "\n", encoding="utf-8")
    env = {"INSPECTOR_USER": login, "INSPECTOR_PASSWORD_FILE": str(f), "INSPECTOR_LANG": "en"}
    return env


def lead_store(work: Path, data: Path, resync: bool) -> tuple[Path, int]:
    """The lead's encrypted store with the hospital synced by the shipped sync, keys and team (cached)."""
    store = work / "lead" / "inspector.db"
    marker = work / "lead" / "inspection"
    if not resync and store.exists() and marker.exists():
        return store, int(marker.read_text())
    shutil.rmtree(work, ignore_errors=True)
    store.parent.mkdir(parents=True)
    # the accounts with the product's Argon2id parameters: the measured runs log in with them
    from inspector.accounts import authenticate, create_account, set_account_key
    from inspector.signing.ca import create_demo_ca, issue_key
    from inspector.signing.trust import add_anchor
    from inspector.storecrypt import create_encrypted_store
    from inspector.team import add_member

    engine, _recovery = create_encrypted_store(store, "zhang", _password("zhang"))
    actors = {}
    for login, (name, role, cert) in PEOPLE.items():
        lead = actors.get("zhang")
        actors[login] = create_account(engine, login, _password(login), role, cert, name, actor=lead)
    ca = work / "ca"
    create_demo_ca(ca, CA_PASS)
    add_anchor(engine, ca / "ca.pem", actor=actors["zhang"])
    for login, actor in actors.items():
        out = work / "keys" / f"{login}.p12"
        out.parent.mkdir(parents=True, exist_ok=True)
        issue_key(ca, actor.display_name, out, KEY_PASS, cert_no=actor.cert_no, ca_passphrase=CA_PASS)
        set_account_key(engine, actor, _password(login), out.read_bytes(), KEY_PASS)
    engine.dispose()
    w = windows("hospital", data)[0]
    r = run(sync_args(w, store), env=_env(work, "zhang")).check()
    print(f"shipped sync of {w.central.name} into the lead's store: {r.wall:.1f} s wall, {r.cpu:.1f} s CPU, "
          f"{r.peak_mb:.0f} MB", flush=True)
    iid = int(r.stdout.strip().splitlines()[-1])
    from inspector.storecrypt import open_with_credentials

    engine = open_with_credentials(store, lambda: ("zhang", _password("zhang")))
    lead = authenticate(engine, "zhang", _password("zhang"))
    for login, (_name, role, _cert) in PEOPLE.items():
        add_member(engine, iid, login, "lead" if role == "lead" else "inspector", actor=lead)
    engine.dispose()
    marker.write_text(str(iid))
    return store, iid


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=1, help="runs of each side; the fastest (CPU) counts")
    ap.add_argument("--resync", action="store_true", help="make the lead's store again")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--work", type=Path, default=None,
                    help="the lead's store, CA and files (default: DATA/snapshot-exchange, cached there)")
    args = ap.parse_args(argv)
    args.work = args.work or args.data / "snapshot-exchange"
    if not (args.data / "READY").exists():
        raise SystemExit(f"{args.data}/READY is missing: the cached centrals are not ready")
    os.environ.pop("INSPECTOR_TEST_ARGON2", None)
    store, iid = lead_store(args.work, args.data, args.resync)
    out = args.work / "join.inspector-snapshot"
    best: dict[str, object] = {}
    base_best = None
    for _round in range(args.rounds):
        out.unlink(missing_ok=True)
        code = args.work / "transfer-code.txt"
        exp = run(main_py("exchange", "export-snapshot", "--inspection", str(iid), "--out", str(out), "--db", str(store),
                          "--code-file", str(code)), env=_env(args.work, "zhang")).check()
        newdir = args.work / "joiner"
        shutil.rmtree(newdir, ignore_errors=True)
        imp = run(main_py("exchange", "import", str(out), "--trust", str(args.work / "ca" / "ca.pem"),
                          "--code-file", str(code), "--format", "json", "--db", str(newdir / "inspector.db")),
                  env=_env(args.work, "li")).check()
        joined = json.loads(imp.stdout)
        copy = args.work / "copy.inspector-snapshot"
        base = run([sys.executable, str(BENCH / "snapshot_copy_baseline.py"), str(out), str(copy), str(code)]).check()
        copy.unlink(missing_ok=True)
        b = json.loads(base.stdout)
        if not b["digests_match"]:
            raise SystemExit("the baseline's digests differ from the manifest's")
        size = out.stat().st_size
        print(f"export-snapshot: {exp.wall:.1f} s wall, {exp.cpu:.1f} s CPU, {exp.peak_mb:.0f} MB; "
              f"file {size / 1e6:.0f} MB, {joined['rows']:,} rows", flush=True)
        print(f"import (joining a new laptop): {imp.wall:.1f} s wall, {imp.cpu:.1f} s CPU, {imp.peak_mb:.0f} MB; "
              f"{joined['events_added']} events merged", flush=True)
        print(f"baseline (copy {b['copy_s']:.1f} s + digests {b['digest_s']:.1f} s): {base.wall:.1f} s wall, "
              f"{base.cpu:.1f} s CPU, {base.peak_mb:.0f} MB", flush=True)
        # each side's fastest round counts on its own (the plain copy's time swings with the page
        # cache's dirty pages: 0.1 to 3.8 s for the same file), so a slow baseline round never helps
        if base_best is None or base.cpu < base_best[0].cpu:
            base_best = (base, b)
        ours_cpu = exp.cpu + imp.cpu
        if not best or ours_cpu < best["ours_cpu"]:
            best = {"export_wall_s": round(exp.wall, 1), "export_cpu_s": round(exp.cpu, 1),
                    "export_mb": round(exp.peak_mb), "import_wall_s": round(imp.wall, 1),
                    "import_cpu_s": round(imp.cpu, 1), "import_mb": round(imp.peak_mb),
                    "ours_cpu": round(ours_cpu, 1), "ours_wall": exp.wall + imp.wall, "rows": joined["rows"],
                    "file_mb": round(size / 1e6)}
    base, b = base_best
    best.update({"baseline_wall_s": round(base.wall, 1), "baseline_cpu_s": round(base.cpu, 1),
                 "baseline_copy_s": round(b["copy_s"], 2), "baseline_digest_s": round(b["digest_s"], 1),
                 "ratio_cpu": round(best["ours_cpu"] / base.cpu, 2),
                 "ratio_wall": round(best.pop("ours_wall") / base.wall, 2)})
    shutil.rmtree(args.work / "joiner", ignore_errors=True)
    out.unlink(missing_ok=True)
    la = load()
    print(f"export + import vs copy + digests: CPU ratio {best['ratio_cpu']}, wall ratio {best['ratio_wall']} "
          f"(goal <= 1.5); peak {max(best['export_mb'], best['import_mb'])} MB (goal <= 300); load {la}")
    print(json.dumps({"bench": "snapshot_exchange", "date": date.today().isoformat(), "machine": platform.machine(),
                      "cores": os.cpu_count(), "load": la, **best}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
