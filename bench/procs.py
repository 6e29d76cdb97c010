"""Shared by the benchmarks: run a shipped command as its own process and measure it, and the
data shapes (centrals cached under --data, stores made by the shipped `sync`).

A child's wall time, CPU time (user + system) and peak memory (max RSS) come from
`os.wait4` on that one child, forked by the small bench/launch.py (Linux counts the forking
process's size in a child's peak), so each figure is the process's own.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
DEFAULT_DATA = Path(os.environ.get("INSPECTOR_BENCHDATA", "/work/benchdata"))


@dataclass
class Run:
    """One finished child process."""

    args: list[str]
    wall: float
    cpu: float
    peak_mb: float
    rc: int
    stdout: str
    stderr: str

    def check(self) -> "Run":
        if self.rc != 0:
            raise SystemExit(f"failed ({self.rc}): {' '.join(self.args)}\n{self.stderr[-2000:]}")
        return self


def run(args: list[str], *, env: dict[str, str] | None = None, cwd: Path = ROOT) -> Run:
    """Run `args` to completion; its own wall time, CPU time and peak RSS (measured by
    bench/launch.py, so that this process's own size never counts in the child's peak)."""
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out, tempfile.TemporaryFile("w+", encoding="utf-8") as err, \
            tempfile.TemporaryDirectory() as tmp:
        usage_file = Path(tmp) / "rusage.json"
        t = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-S", str(BENCH / "launch.py"), str(usage_file), *args], stdout=out,
                                stderr=err, cwd=cwd, env={**os.environ, **(env or {})})
        proc.wait()
        wall = time.perf_counter() - t
        usage = json.loads(usage_file.read_text(encoding="utf-8"))
        out.seek(0)
        err.seek(0)
        return Run(args, wall, usage["cpu"], usage["maxrss_kb"] / 1024, proc.returncode, out.read(), err.read())


def main_py(*args: str) -> list[str]:
    """The shipped command line: `python main.py ARGS`."""
    return [sys.executable, str(ROOT / "main.py"), *args]


BENCH_LOGIN = "bench"
BENCH_PASSWORD = "bench password 2026"


def password_file(data: Path = DEFAULT_DATA) -> Path:
    """The bench account's password file (made once under `data`)."""
    p = data / "bench-password.txt"
    if not p.exists():
        data.mkdir(parents=True, exist_ok=True)
        p.write_text(BENCH_PASSWORD + "\n", encoding="utf-8")
    return p


def cli_env(data: Path = DEFAULT_DATA) -> dict[str, str]:
    """Environment of the shipped commands: the bench account's credentials, as a user sets them
    (INSPECTOR_USER + INSPECTOR_PASSWORD_FILE) to open the encrypted store and act."""
    return {"INSPECTOR_USER": BENCH_LOGIN, "INSPECTOR_PASSWORD_FILE": str(password_file(data))}


# --- data shapes -----------------------------------------------------------------------------

@dataclass
class Window:
    """One sync request: a central and the institution, window and visit time to take from it."""

    name: str
    central: Path
    institution: str
    date_from: str
    date_to: str
    visit_time: str
    fee_lines_in_window: int | None = None


def ensure_central(shape: str, data: Path) -> tuple[Path, dict]:
    """The cached central of `shape` (built once: the demo hospital, or bench/stay_central.py)."""
    data.mkdir(parents=True, exist_ok=True)
    central = data / f"{shape}-central.db"
    manifest = Path(f"{central}.manifest.json")
    if not central.exists() or not manifest.exists():
        t = time.perf_counter()
        if shape == "hospital":
            run(main_py("demo-central", "--out", str(central), "--scale", "hospital", "--force")).check()
        else:
            run([sys.executable, str(BENCH / "stay_central.py"), "--out", str(central), "--shape", shape]).check()
        print(f"built {central} in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    return central, json.loads(manifest.read_text(encoding="utf-8"))


def windows(shape: str, data: Path, curve: bool = False) -> list[Window]:
    """The sync requests of a shape; for "3y" with `curve`, also its first one and two years."""
    central, m = ensure_central(shape, data)
    full = Window(shape, central, m["main_institution"], m["date_from"], m["date_to"], m["visit_time"],
                  m.get("feedetl_in_window"))
    if shape != "3y" or not curve:
        return [full]
    y0 = int(m["date_from"][:4])
    return [Window(f"3y-{k}y", central, m["main_institution"], m["date_from"], f"{y0 + k - 1}-12-31", m["visit_time"])
            for k in (1, 2)] + [full]


def sync_args(w: Window, store: Path) -> list[str]:
    return main_py("sync", "--central", str(w.central), "--institution", w.institution, "--from", w.date_from,
                   "--to", w.date_to, "--visit-time", w.visit_time, "--db", str(store))


def synced_store(w: Window, data: Path, resync: bool = False) -> tuple[Path, int, Run | None]:
    """The store the shipped `sync` made of `w` (cached; `resync` makes it again): path, inspection id,
    and the sync's Run when it ran now."""
    stores = data / "stores"
    stores.mkdir(parents=True, exist_ok=True)
    store = stores / f"{w.name}.db"
    marker = stores / f"{w.name}.inspection"
    sync_run = None
    if resync or not store.exists() or not marker.exists():
        for p in (store, Path(f"{store}-wal"), Path(f"{store}-shm"), Path(f"{store}.keyslots"), marker):
            p.unlink(missing_ok=True)
        # What a user does on a new laptop: the first account creates the (encrypted) store,
        # with the product's Argon2id parameters; then sync into it with that account.
        run(main_py("account", "create", BENCH_LOGIN, "--role", "lead", "--cert-no", "BENCH-0001",
                    "--password-file", str(password_file(data)), "--db", str(store)), env=cli_env(data)).check()
        sync_run = run(sync_args(w, store), env=cli_env(data)).check()
        marker.write_text(sync_run.stdout.strip().splitlines()[-1])
    return store, int(marker.read_text().strip()), sync_run


def fee_lines_of(store: Path, inspection_id: int) -> tuple[int, int]:
    """(fee lines in the snapshot, fee lines inside the window) of the inspection's latest snapshot."""
    con = open_bench_store(store)
    try:
        sid, d0, d1 = con.execute("SELECT s.id, i.date_from, i.date_to FROM snapshot s JOIN inspection i "
                                  "ON i.id = s.inspection_id WHERE i.id = ? ORDER BY s.version DESC LIMIT 1",
                                  (inspection_id,)).fetchone()
        total = con.execute("SELECT count(*) FROM snap_feedetl WHERE snapshot_id = ?", (sid,)).fetchone()[0]
        inside = con.execute("SELECT count(*) FROM snap_feedetl WHERE snapshot_id = ? AND fee_ocur_time >= ? "
                             "AND fee_ocur_time < date(?, '+1 day')", (sid, f"{d0} 00:00:00", d1)).fetchone()[0]
        return total, inside
    finally:
        con.close()


def store_key_hex(store: Path, data: Path = DEFAULT_DATA) -> str | None:
    """The raw store key (hex) of the bench account's encrypted store, unwrapped from its slot as the
    shipped commands do; None for a plain store."""
    sys.path.insert(0, str(ROOT))
    from inspector import keyslots
    from inspector.db import is_encrypted_file

    if not is_encrypted_file(store):
        return None
    raw = keyslots.unwrap_with_password(store, BENCH_LOGIN, BENCH_PASSWORD)
    return bytes(raw).hex()


def open_bench_store(store: Path, key_hex: str | None = None):
    """A read-only DB-API connection to a bench store: sqlcipher3 with the raw key for an encrypted
    store, plain sqlite3 otherwise."""
    import sqlite3

    key_hex = key_hex or store_key_hex(store)
    if key_hex is None:
        return sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    from sqlcipher3 import dbapi2 as sqlcipher

    con = sqlcipher.connect(f"file:{store}?mode=ro", uri=True)
    con.execute(f"PRAGMA key = \"x'{key_hex}'\"")
    return con


def load() -> str:
    """The machine's load average (1, 5, 15 min), for the record."""
    return " ".join(f"{x:.1f}" for x in os.getloadavg())
