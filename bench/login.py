"""Bench: logging in with the product's Argon2id parameters (RFC 9106 low-memory: t=3, 64 MiB, p=4).

Times `authenticate` (look-up + Argon2id verification + throttle bookkeeping) and
`authenticate(with_key=True)` (plus the Argon2id key derivation and AES-GCM unlock of the stored
PKCS#12), against a bare `argon2.PasswordHasher.verify` of the same hash measured in the same run.
Goal: login at most 1 s. Usage: .venv/bin/python bench/login.py [--runs N]
The last line printed is one JSON object.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.pop("INSPECTOR_TEST_ARGON2", None)      # the product's parameters, never the tests'

from inspector.accounts import ARGON2_PARAMS, authenticate, create_account, set_account_key  # noqa: E402
from inspector.db import open_store  # noqa: E402


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    from argon2 import PasswordHasher, Type

    from inspector.signing.ca import create_demo_ca, issue_key

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        engine = open_store(tmp_path / "s.db")
        password = "bench-password-1"
        lead = create_account(engine, "lead", password, "lead", "61010020260003", "陈志强", actor=None)
        create_demo_ca(tmp_path / "ca", b"ca-passphrase-1")
        issue_key(tmp_path / "ca", "陈志强", tmp_path / "k.p12", b"key-passphrase", cert_no="61010020260003",
                  ca_passphrase=b"ca-passphrase-1")
        set_account_key(engine, lead, password, (tmp_path / "k.p12").read_bytes(), b"key-passphrase")
        stored = engine.connect().exec_driver_sql("SELECT password_hash FROM account").scalar()
        ph = PasswordHasher(type=Type.ID, **ARGON2_PARAMS)
        base = timed(lambda: ph.verify(stored, password), args.runs)
        plain = timed(lambda: authenticate(engine, "lead", password), args.runs)
        keyed = timed(lambda: authenticate(engine, "lead", password, with_key=True), args.runs)
        engine.dispose()
    med = {k: statistics.median(v) for k, v in (("argon2_verify", base), ("login", plain), ("login_with_key", keyed))}
    print(f"Argon2id parameters: {ARGON2_PARAMS}; {args.runs} runs each, medians")
    print(f"bare argon2 verify (baseline)  {med['argon2_verify'] * 1000:7.1f} ms")
    print(f"login (authenticate)            {med['login'] * 1000:7.1f} ms   ratio {med['login'] / med['argon2_verify']:.2f}")
    print(f"login unlocking the signing key {med['login_with_key'] * 1000:7.1f} ms   ratio "
          f"{med['login_with_key'] / med['argon2_verify']:.2f}   (goal: <= 1000 ms)")
    print(f"load average {os.getloadavg()[0]:.1f}; {platform.processor() or platform.machine()}, Python "
          f"{platform.python_version()}")
    print(json.dumps({"bench": "login", "params": ARGON2_PARAMS, "runs": args.runs,
                      **{k: round(v * 1000, 1) for k, v in med.items()},
                      "max_login_with_key_ms": round(max(keyed) * 1000, 1),
                      "load": round(os.getloadavg()[0], 1)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
