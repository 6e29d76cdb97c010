"""The random draw: re-derived by the README's snippet, deterministic, conflicts honoured, the
seed refused when it does not come after the pools' publication, the plan as PDF (signed) and workbook."""
from __future__ import annotations

import json
import re
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from inspector.cli import run
from inspector.planning.draw import draw_plan, plan_json
from inspector.planning.pools import csv_pool_text

ROOT = Path(__file__).resolve().parents[2]
PUBLISHED = datetime(2026, 11, 30, 9, 0, 0)
SEED_TIME = "2026-12-01 20:30:00"
DISTRICTS = ["610113", "610104", "610112", "610103"]


def _pools(tmp: Path, n_units: int = 12, n_people: int = 16) -> tuple[Path, Path, Path]:
    units = []
    for i in range(n_units):
        code = f"{'HP'[i % 2]}{DISTRICTS[i % 4]}{i:05d}"
        last = ";".join(f"I{(i * 3 + k) % n_people:02d}" for k in range(i % 3))
        units.append([code, f"机构{i}", last])
    people = [[f"I{j:02d}", f"检查员{j}", DISTRICTS[j % 4], f"{units[j % n_units][0]}" if j % 5 == 0 else ""]
              for j in range(n_people)]
    inst = tmp / "institutions.csv"
    inst.write_text(csv_pool_text(PUBLISHED, ["fixmedins_code", "fixmedins_name", "last_inspectors"], units),
                    encoding="utf-8")
    insp = tmp / "inspectors.csv"
    insp.write_text(csv_pool_text(PUBLISHED, ["inspector_id", "name", "district", "relations"], people),
                    encoding="utf-8")
    ranking = tmp / "ranking.json"
    ranking.write_text(json.dumps({"published_at": "2026-11-30 09:00:00", "institutions": [
        {"fixmedins_code": u[0], "fixmedins_name": u[1], "lead_amount": "1.00", "fund_paid": "1.00",
         "per_10k": None if i == 3 else f"{(i * 37) % 500}.{i:02d}", "rules": {}, "last_inspected": None}
        for i, u in enumerate(units)]}, ensure_ascii=False), encoding="utf-8")
    return inst, insp, ranking


def _snippet() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"<!-- draw-snippet -->\n```python\n(.*?)```\n<!-- /draw-snippet -->", text, re.S)
    assert m, "README lacks the draw snippet"
    return m.group(1)


def _derive(institutions: Path, inspectors: Path, seed: str, n: int, k: int, weighted: bool) -> list:
    ns = {"INSTITUTIONS": str(institutions), "INSPECTORS": str(inspectors), "SEED": seed, "N": n, "K": k,
          "WEIGHTED": weighted}
    exec(compile(_snippet(), "README.md", "exec"), ns)  # noqa: S102 - the README's own code
    return ns["plan"]


def _draws(doc: dict) -> list:
    return [(d["fixmedins_code"], [p["inspector_id"] for p in d["team"]]) for d in doc["draws"]]


@pytest.mark.parametrize("weighted", [False, True])
def test_readme_snippet_rederives_the_plan(tmp_path, capsys, weighted):
    inst, insp, ranking = _pools(tmp_path)
    src = ["--ranking", str(ranking)] if weighted else ["--institutions", str(inst)]
    for seed in ("lottery-2026120101", "0392 7781", "drand-4812345"):
        assert run(["plan", "draw", *src, "--inspectors", str(insp), "--n", "4", "--team-size", "2", "--seed", seed,
                    "--seed-time", SEED_TIME, *(["--weighted"] if weighted else []), "--format", "json"]) == 0
        doc = json.loads(capsys.readouterr().out)
        assert doc["algorithm"] == "inspector-draw-v1" and doc["seed"] == seed and doc["weighted"] is weighted
        got = _derive(ranking if weighted else inst, insp, seed, 4, 2, weighted)
        capsys.readouterr()
        assert got == _draws(doc), seed


def test_same_seed_and_pools_same_plan_and_pools_bind_the_draw(tmp_path):
    inst, insp, _ = _pools(tmp_path)
    t = datetime.strptime(SEED_TIME, "%Y-%m-%d %H:%M:%S")
    a = plan_json(draw_plan(inst, insp, n=5, team_size=2, seed="s1", seed_time=t))
    b = plan_json(draw_plan(inst, insp, n=5, team_size=2, seed="s1", seed_time=t))
    assert _draws(a) == _draws(b) and a["pools"] == b["pools"]
    assert len({json.dumps(_draws(plan_json(draw_plan(inst, insp, n=5, team_size=2, seed=f"s{i}", seed_time=t))))
                for i in range(6)}) > 1
    # one byte more in a pool: another digest, another generator
    insp.write_text(insp.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    c = plan_json(draw_plan(inst, insp, n=5, team_size=2, seed="s1", seed_time=t))
    assert c["pools"]["inspectors"]["sha256"] != a["pools"]["inspectors"]["sha256"]


def test_conflicts_are_honoured_and_listed(tmp_path):
    inst, insp, _ = _pools(tmp_path)
    from inspector.planning.pools import inspectors, institutions, read_pool

    units = {u.code: u for u in institutions(read_pool(inst, "institutions"))}
    people = {p.inspector_id: p for p in inspectors(read_pool(insp, "inspectors"))}
    t = datetime.strptime(SEED_TIME, "%Y-%m-%d %H:%M:%S")
    applied_seen = 0
    for seed in range(40):
        plan = draw_plan(inst, insp, n=6, team_size=2, seed=str(seed), seed_time=t)
        members = [p.inspector_id for d in plan.draws for p in d.team]
        assert len(members) == len(set(members)) == 12                       # one team each
        for d in plan.draws:
            u = units[d.institution.code]
            for p in d.team:
                assert p.inspector_id not in u.last_inspectors
                assert u.code not in people[p.inspector_id].relations
                if d.district_rule == "applied":
                    assert p.district != u.district
            listed = {(c.inspector_id, c.reason) for c in d.conflicts}
            for c in d.conflicts:
                p = people[c.inspector_id]
                assert {"last_inspection": p.inspector_id in u.last_inspectors,
                        "declared_relation": u.code in p.relations,
                        "same_district": p.district == u.district}[c.reason]
            earlier = {p.inspector_id for e in plan.draws if e.order < d.order for p in e.team}
            for i in u.last_inspectors - earlier:
                if i in people:
                    assert (i, "last_inspection") in listed
            for i, p in people.items():
                if i not in earlier and u.code in p.relations and i not in u.last_inspectors:
                    assert (i, "declared_relation") in listed
            applied_seen += d.district_rule == "applied"
    assert applied_seen


def test_own_district_allowed_only_when_the_pool_is_short(tmp_path):
    inst = tmp_path / "i.csv"
    inst.write_text(csv_pool_text(PUBLISHED, ["fixmedins_code", "fixmedins_name"], [["H61011300001", "甲医院"]]),
                    encoding="utf-8")
    insp = tmp_path / "p.csv"
    people = [["I1", "甲", "610113", ""], ["I2", "乙", "610113", ""], ["I3", "丙", "610104", ""]]
    insp.write_text(csv_pool_text(PUBLISHED, ["inspector_id", "name", "district", "relations"], people), encoding="utf-8")
    t = datetime.strptime(SEED_TIME, "%Y-%m-%d %H:%M:%S")
    relaxed = draw_plan(inst, insp, n=1, team_size=2, seed="a", seed_time=t).draws[0]
    assert relaxed.district_rule == "relaxed" and not relaxed.conflicts
    applied = draw_plan(inst, insp, n=1, team_size=1, seed="a", seed_time=t).draws[0]
    assert applied.district_rule == "applied" and [p.inspector_id for p in applied.team] == ["I3"]
    assert {c.inspector_id for c in applied.conflicts if c.reason == "same_district"} == {"I1", "I2"}


def test_a_unit_inspected_last_time_by_someone_lists_them(tmp_path):
    inst, insp, _ = _pools(tmp_path, n_units=2, n_people=8)
    t = datetime.strptime(SEED_TIME, "%Y-%m-%d %H:%M:%S")
    plan = draw_plan(inst, insp, n=2, team_size=2, seed="x", seed_time=t)
    d = next(d for d in plan.draws if d.institution.code.endswith("00001"))     # last_inspectors: I03
    assert ("I03", "last_inspection") in {(c.inspector_id, c.reason) for c in d.conflicts} or \
        "I03" in [p.inspector_id for e in plan.draws if e.order < d.order for p in e.team]
    assert "I03" not in [p.inspector_id for p in d.team]


def test_seed_before_publication_or_in_future_is_refused(tmp_path, capsys):
    inst, insp, _ = _pools(tmp_path)
    base = ["plan", "draw", "--institutions", str(inst), "--inspectors", str(insp), "--n", "2", "--team-size", "2",
            "--seed", "42", "--out", str(tmp_path / "out")]
    assert run(base + ["--seed-time", "2026-11-30 09:00:00"]) == 2                # at the publication: refused
    assert run(base + ["--seed-time", "2026-11-29 18:00:00"]) == 2
    assert run(base + ["--seed-time", "2999-01-01 00:00:00"]) == 2
    err = capsys.readouterr().err
    assert err.count("error:") == 3 and "institutions.csv" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
    # a pool without its publication record
    bare = tmp_path / "bare.csv"
    bare.write_text("\n".join(inst.read_text(encoding="utf-8").splitlines()[1:]) + "\n", encoding="utf-8")
    assert run(["plan", "draw", "--institutions", str(bare), "--inspectors", str(insp), "--n", "2", "--team-size", "2",
                "--seed", "42", "--seed-time", SEED_TIME]) == 2
    assert "bare.csv" in capsys.readouterr().err


def test_bad_pools_and_impossible_draws(tmp_path, capsys):
    inst, insp, _ = _pools(tmp_path, n_units=3, n_people=4)
    common = ["--inspectors", str(insp), "--seed", "1", "--seed-time", SEED_TIME]
    assert run(["plan", "draw", "--institutions", str(inst), "--n", "4", "--team-size", "1", *common]) == 2
    assert run(["plan", "draw", "--institutions", str(inst), "--n", "3", "--team-size", "2", *common]) == 2
    assert run(["plan", "draw", "--institutions", str(inst), "--n", "1", "--team-size", "1", "--weighted", *common]) == 2
    dup = tmp_path / "dup.csv"
    lines = inst.read_text(encoding="utf-8").splitlines()
    dup.write_text("\n".join(lines + [lines[2]]) + "\n", encoding="utf-8")
    assert run(["plan", "draw", "--institutions", str(dup), "--n", "1", "--team-size", "1", *common]) == 2
    err = capsys.readouterr().err
    assert "dup.csv，第 6 行" in err and "Traceback" not in err


def test_plan_pdf_and_workbook_signed(tmp_path, capsys):
    from openpyxl import load_workbook

    inst, insp, _ = _pools(tmp_path)
    out = tmp_path / "plan"
    assert run(["plan", "draw", "--institutions", str(inst), "--inspectors", str(insp), "--n", "3", "--team-size", "2",
                "--seed", "lottery-0392", "--seed-time", SEED_TIME, "--out", str(out), "--drawn-by", "张伟",
                "--witness", "王芳"]) == 0
    doc = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    text = subprocess.run(["pdftotext", "-layout", str(out / "plan.pdf"), "-"], capture_output=True, text=True).stdout
    assert "双随机抽查计划" in text and "lottery-0392" in text
    for pool in doc["pools"].values():
        assert pool["sha256"] in text.replace("\n", "") or pool["sha256"][:40] in text
    for d in doc["draws"]:
        assert d["fixmedins_code"] in text
    fonts = subprocess.run(["pdffonts", str(out / "plan.pdf")], capture_output=True, text=True).stdout
    assert "WenQuanYi" in fonts and all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:])
    wb = load_workbook(out / "plan.xlsx")
    drawn = [r[1] for r in list(wb.worksheets[0].values)[1:]]
    assert drawn == [d["fixmedins_code"] for d in doc["draws"]]
    # signed like a report: a demo key on the plan_drawer line, verified by pdfsig
    pw = tmp_path / "pw.txt"
    pw.write_text("a-passphrase\n", encoding="utf-8")
    db = tmp_path / "store.db"
    assert run(["keys", "create-demo-ca", "--out", str(tmp_path / "ca"), "--passphrase-file", str(pw),
                "--db", str(db)]) == 0
    assert run(["keys", "issue", "--ca", str(tmp_path / "ca"), "--ca-passphrase-file", str(pw), "--name", "张伟",
                "--cert-no", "61000012345", "--out", str(tmp_path / "k.p12"), "--passphrase-file", str(pw)]) == 0
    # the key's holder 张伟 is named on the plan_drawer line: that is the line it signs
    assert run(["sign", str(out / "plan.pdf"), "--key", str(tmp_path / "k.p12"), "--passphrase-file", str(pw),
                "--out", str(tmp_path / "signed.pdf"), "--db", str(db)]) == 0
    sig = subprocess.run(["pdfsig", str(tmp_path / "signed.pdf")], capture_output=True, text=True).stdout
    first, second = re.split(r"^Signature #\d+:", sig, flags=re.M)[1:]
    assert "plan_drawer" in first and "Signature is Valid." in first
    assert "plan_witness" in second and "not signed" in second
    assert "Digest Mismatch" not in sig
