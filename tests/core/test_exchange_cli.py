"""The embedded-inspection walkthrough through the CLI, as separate processes: `demo --laptops 3`
leaves three encrypted stores in the same state; each laptop's owner reads its digest with their
own login; a bundle imported twice adds nothing; a laptop joining with an unrelated CA, without the
snapshot file's transfer code or with another code is refused and left without a store."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OWNERS = {"laptop-1": "chenzq", "laptop-2": "wangjg", "laptop-3": "lixm"}


def cli(*args: str, user: str | None = None, work: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if user:
        env["INSPECTOR_USER"] = user
        env["INSPECTOR_PASSWORD_FILE"] = str(work / "passwords" / f"{user}.txt")
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=900, stdin=subprocess.DEVNULL)


def test_three_laptops_end_in_the_same_state(tmp_path):
    work = tmp_path / "D"
    r = cli("demo", "--laptops", "3", "--workdir", str(work))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Traceback" not in r.stdout + r.stderr
    stores = {k: work / k / "inspector.db" for k in OWNERS}
    assert all(p.exists() for p in stores.values())
    assert len(list((work / "bundles").glob("*.inspector-bundle"))) == 6
    assert all((work / "passwords" / f"{u}.txt").exists() for u in OWNERS.values())
    assert not stores["laptop-1"].read_bytes().startswith(b"SQLite format 3")   # encrypted
    digests = set()
    for laptop, user in OWNERS.items():
        d = cli("state", "--inspection", "1", "--digest", "--db", str(stores[laptop]), user=user, work=work)
        assert d.returncode == 0, d.stderr
        digests.add(d.stdout.strip())
        v = cli("verify-log", "--db", str(stores[laptop]), user=user, work=work)
        assert v.returncode == 0, v.stdout + v.stderr
        assert "注意" not in v.stdout and "note:" not in v.stdout, v.stdout   # each session signed its own events
        c = cli("conflicts", "--inspection", "1", "--format", "json", "--db", str(stores[laptop]), user=user,
                work=work)
        assert c.returncode == 0 and '"conflicts": []' in c.stdout
    assert len(digests) == 1 and len(next(iter(digests))) == 64

    bundle = sorted((work / "bundles").glob("laptop-2-*.inspector-bundle"))[-1]
    again = cli("exchange", "import", str(bundle), "--db", str(stores["laptop-1"]), user="chenzq", work=work)
    assert again.returncode == 0, again.stderr
    assert "没有新内容" in again.stdout

    # a fourth laptop trusting another CA cannot join, and is left without a store
    other = tmp_path / "other-ca"
    k = cli("keys", "create-demo-ca", "--out", str(other), "--passphrase-file", str(work / "passwords" / "lixm.txt"))
    assert k.returncode == 0, k.stdout + k.stderr
    snapshot = work / "bundles" / "join.inspector-snapshot"
    new_store = tmp_path / "laptop-4" / "inspector.db"
    code = work / "passwords" / "transfer-code.txt"
    j = cli("exchange", "import", str(snapshot), "--trust", str(other / "ca.pem"), "--code-file", str(code),
            "--db", str(new_store), user="lixm", work=work)
    assert j.returncode == 2 and "Traceback" not in j.stdout + j.stderr
    assert "信任根" in j.stderr + j.stdout
    assert not new_store.exists() and not new_store.parent.exists()      # nor the folder it would have made

    # the snapshot file is encrypted: without its transfer code, or with another one, nobody joins
    no_code = cli("exchange", "import", str(snapshot), "--trust", str(work / "demo-ca" / "ca.pem"),
                  "--db", str(new_store), user="lixm", work=work)
    assert no_code.returncode == 2 and "--code-file" in no_code.stderr and "Traceback" not in no_code.stderr
    wrong = tmp_path / "wrong-code.txt"
    from inspector.exchange.transfer_code import new_transfer_code

    wrong.write_text(new_transfer_code() + "\n", encoding="utf-8")
    w = cli("exchange", "import", str(snapshot), "--trust", str(work / "demo-ca" / "ca.pem"), "--code-file", str(wrong),
            "--db", str(new_store), user="lixm", work=work)
    assert w.returncode == 2 and "传输码" in w.stderr and "Traceback" not in w.stderr
    assert not new_store.exists()
