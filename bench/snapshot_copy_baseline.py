"""Baseline of bench/snapshot_exchange.py: a plain copy of a snapshot file plus the digest check.

    python bench/snapshot_copy_baseline.py FILE COPY CODE_FILE

Copies FILE to COPY (`shutil.copyfile`), then computes every table's canonical digest on the
copy (inspector.snapshot's definition: SHA-256 of the json_array() lines in primary-key order,
read through the table's key) and its row count, opening the copy with its transfer code (the file
is encrypted), and compares them with the file's manifest. Prints one JSON object: the copy's and
the digests' seconds and whether everything matched.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inspector.exchange.transfer_code import open_file, read_code_file  # noqa: E402
from inspector.models import SNAPSHOT_MODELS  # noqa: E402
from inspector.snapshot import digest_line_sql, primary_key  # noqa: E402


def main() -> int:
    src, dst, code = Path(sys.argv[1]), Path(sys.argv[2]), read_code_file(sys.argv[3])
    t = time.perf_counter()
    shutil.copyfile(src, dst)
    copy_s = time.perf_counter() - t
    t = time.perf_counter()
    con = open_file(dst, code)
    manifest = json.loads(con.execute("SELECT doc FROM manifest").fetchone()[0])
    want_digests, want_counts = manifest["snapshot"]["digests"], manifest["snapshot"]["row_counts"] or {}
    ok = True
    for table in SNAPSHOT_MODELS:
        h = hashlib.sha256()
        n = 0
        cur = con.execute(f"SELECT {digest_line_sql(table)} || char(10) FROM snap_{table} "
                          f"ORDER BY snapshot_id, {', '.join(primary_key(table))}")
        while rows := cur.fetchmany(20000):
            n += len(rows)
            h.update("".join([r[0] for r in rows]).encode("utf-8"))
        ok &= h.hexdigest() == want_digests.get(table)
        ok &= want_counts.get(table, n) == n
    con.close()
    print(json.dumps({"copy_s": copy_s, "digest_s": time.perf_counter() - t, "digests_match": bool(ok)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
