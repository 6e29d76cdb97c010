"""Embedded inspections on several laptops: joining from a snapshot file, signed bundles merged
by event id (idempotent, order-independent), conflicts kept and resolved, bad bundles refused
with the store unchanged. Stores are real SQLite files; keys are issued by a real test CA."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspector.accounts import authenticate
from inspector.checks import census, records, stock
from inspector.db import open_store
from inspector.errors import UserError
from inspector.events import verify_log
from inspector.exchange.bundle import BundleError, export_bundle, import_bundle
from inspector.exchange.conflicts import list_conflicts, resolve_conflict
from inspector.exchange.state import state_digest
from inspector.findings.lifecycle import create_finding, review_finding, submit_finding
from inspector.signing.ca import create_demo_ca, issue_key
from tests.support.accounts import password_of
from tests.support.laptops import BEDS, CA_PASS, DRUGS, KEY_PASS, OWNERS, anchors as _anchors, build_laptops, key as _key



@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict:
    """Three laptops' stores after the join (copied per test), the CA, the snapshot file, keys."""
    return build_laptops(tmp_path_factory.mktemp("laptops"))


@pytest.fixture
def laptops(world, tmp_path):
    """Fresh copies of the three joined stores: [(engine, inspection id, owner login)]."""
    out = []
    for k, login in enumerate(OWNERS):
        shutil.copy(world["base"] / f"l{k}.db", tmp_path / f"l{k}.db")
        e = open_store(tmp_path / f"l{k}.db")
        with e.connect() as conn:
            iid = conn.exec_driver_sql("SELECT id FROM inspection").scalar()
        out.append((e, iid, login))
    yield out
    for e, _i, _l in out:
        e.dispose()


def _export(lap, path: Path) -> Path:
    e, iid, login = lap
    me = _key(e, login)
    export_bundle(e, iid, path, login=login, name=me.display_name, private_key=me.key.private_key,
                  certificate=me.key.certificate)
    return path


def _import(lap, path: Path):
    e, _iid, login = lap
    return import_bundle(e, path, anchors=_anchors(e), author=login, reader=_reader(e, login))


_READERS: dict = {}


def _reader(e, login: str):
    """`login` with their key unlocked, once per store (bundles are sealed for the team)."""
    if (id(e), login) not in _READERS:
        _READERS[(id(e), login)] = (e, _key(e, login))
    return _READERS[(id(e), login)][1]


def _digest(lap) -> str:
    e, iid, _l = lap
    with e.connect() as conn:
        return state_digest(conn, iid)


def _snapshot_of(lap) -> tuple:
    """Everything an import may change: the events and the record of merged bundles."""
    e, _i, _l = lap
    with e.connect() as conn:
        return (conn.exec_driver_sql("SELECT id, hash FROM event ORDER BY id").fetchall(),
                conn.exec_driver_sql("SELECT sha256 FROM bundle_import ORDER BY id").fetchall())


def _exchange_all(laps, folder: Path, tag: str) -> None:
    made = [_export(lap, folder / f"{tag}-{k}.bundle") for k, lap in enumerate(laps)]
    for k, lap in enumerate(laps):
        for j, path in enumerate(made):
            if j != k:
                _import(lap, path)


def test_joined_laptops_start_in_the_same_state(laptops):
    digests = {_digest(lap) for lap in laptops}
    assert len(digests) == 1
    for e, _i, _l in laptops:
        assert verify_log(e).ok


def test_importing_a_bundle_twice_changes_nothing(laptops, tmp_path):
    ward = laptops[1]
    census.record_outcome(ward[0], ward[1], "M1", "present", note="wristband", actor=authenticate(
        ward[0], "li", password_of("li")))
    bundle = _export(ward, tmp_path / "b.bundle")
    first = _import(laptops[0], bundle)
    before = _snapshot_of(laptops[0])
    second = _import(laptops[0], bundle)
    assert first.added >= 1 and second.added == 0
    assert _snapshot_of(laptops[0]) == before
    assert _digest(laptops[0]) == _digest(ward)


def test_same_item_recorded_differently_is_a_conflict_until_the_lead_resolves_it(laptops, tmp_path):
    lead_lap, ward, _pharm = laptops
    lead = authenticate(lead_lap[0], "zhang", password_of("zhang"))
    li = authenticate(ward[0], "li", password_of("li"))
    census.record_outcome(ward[0], ward[1], "M2", "present", note="wristband", actor=li)
    census.record_outcome(lead_lap[0], lead_lap[1], "M2", "absent", note="empty bed", actor=lead)
    _exchange_all(laptops, tmp_path, "r1")
    for e, iid, _l in laptops:
        with e.connect() as conn:
            found = list_conflicts(conn, iid)
        assert [(c.area, c.item) for c in found] == [("census", "M2")]
        assert sorted(r.author for r in found[0].records) == ["li", "zhang"]   # both kept
    # a conflict blocks approval of any finding
    wang_lap = laptops[2]
    wang = authenticate(wang_lap[0], "wang", password_of("wang"))
    ev = create_finding(wang_lap[0], wang_lap[1], "manual", None, category_code="V07", amount="100.00", multiplier="1",
                        description="对账不符", handling="追回", actor=wang)
    submit_finding(wang_lap[0], wang_lap[1], ev.id, actor=wang)
    _import(lead_lap, _export(wang_lap, tmp_path / "f.bundle"))
    with pytest.raises(UserError, match="请先处理再审批"):
        review_finding(lead_lap[0], lead_lap[1], ev.id, "approve", "ok", actor=lead)
    # an inspector who made only one of the records cannot resolve it
    with pytest.raises(UserError):
        with ward[0].connect() as conn:
            c = list_conflicts(conn, ward[1])[0]
        resolve_conflict(ward[0], ward[1], "census", "M2", c.records[0].id, actor=li, is_lead=False)
    with lead_lap[0].connect() as conn:
        c = list_conflicts(conn, lead_lap[1])[0]
    keep = next(r for r in c.records if r.author == "li")
    resolve_conflict(lead_lap[0], lead_lap[1], "census", "M2", keep.id, actor=lead, is_lead=True)
    review_finding(lead_lap[0], lead_lap[1], ev.id, "approve", "ok", actor=lead)   # resolved: approval goes on
    _exchange_all(laptops, tmp_path, "r2")
    for e, iid, _l in laptops:
        with e.connect() as conn:
            assert list_conflicts(conn, iid) == []
            assert census.census_state(conn, iid).outcomes["M2"].payload["outcome"] == "present"
    assert len({_digest(lap) for lap in laptops}) == 1


def test_a_correction_after_seeing_the_other_record_is_no_conflict(laptops, tmp_path):
    lead_lap, ward, _p = laptops
    li = authenticate(ward[0], "li", password_of("li"))
    lead = authenticate(lead_lap[0], "zhang", password_of("zhang"))
    census.record_outcome(ward[0], ward[1], "M3", "present", note="wristband", actor=li)
    _import(lead_lap, _export(ward, tmp_path / "w.bundle"))
    census.record_outcome(lead_lap[0], lead_lap[1], "M3", "absent", note="gone since", actor=lead)
    _import(ward, _export(lead_lap, tmp_path / "l.bundle"))
    for e, iid, _l in (lead_lap, ward):
        with e.connect() as conn:
            assert list_conflicts(conn, iid) == []
            assert census.census_state(conn, iid).outcomes["M3"].payload["outcome"] == "absent"


def test_samples_drawn_separately_and_differently_are_a_conflict_until_the_lead_keeps_one(laptops, tmp_path):
    lead_lap, ward, pharm = laptops
    lead = authenticate(lead_lap[0], "zhang", password_of("zhang"))
    li = authenticate(ward[0], "li", password_of("li"))
    wang = authenticate(pharm[0], "wang", password_of("wang"))
    # the lead and the pharmacy draw with the inspection's settings (they agree); the ward
    # inspector, not knowing, draws with a seed of their own, and adds a drug by hand
    mine = stock.draw_sample(lead_lap[0], lead_lap[1], actor=lead)
    assert stock.draw_sample(pharm[0], pharm[1], actor=wang).drugs == mine.drugs
    theirs = stock.draw_sample(ward[0], ward[1], seed=7, actor=li)
    assert theirs.random != mine.random
    extra = next(c for c in DRUGS if c not in theirs.drugs and c not in mine.drugs)
    stock.add_drug(ward[0], ward[1], extra, actor=li)
    records.draw_sample(lead_lap[0], lead_lap[1], n=3, seed=1, actor=lead)
    records.draw_sample(ward[0], ward[1], n=3, seed=2, actor=li)
    _exchange_all(laptops, tmp_path, "r1")
    for e, iid, _l in laptops:
        with e.connect() as conn:
            found = {(c.area, c.item): c for c in list_conflicts(conn, iid)}
        assert set(found) == {("stock_sample", "sample"), ("records_sample", "sample")}
        assert sorted(r.author for r in found[("stock_sample", "sample")].records) == ["li", "wang", "zhang"]
        assert sorted(r.author for r in found[("records_sample", "sample")].records) == ["li", "zhang"]
    # the conflict blocks approval like any other
    ev = create_finding(pharm[0], pharm[1], "manual", None, category_code="V07", amount="100.00", multiplier="1",
                        description="对账不符", handling="追回", actor=wang)
    submit_finding(pharm[0], pharm[1], ev.id, actor=wang)
    _import(lead_lap, _export(pharm, tmp_path / "f.bundle"))
    with pytest.raises(UserError, match="请先处理再审批"):
        review_finding(lead_lap[0], lead_lap[1], ev.id, "approve", "ok", actor=lead)
    # the lead keeps their own draws
    with lead_lap[0].connect() as conn:
        found = {c.area: c for c in list_conflicts(conn, lead_lap[1])}
    for area in ("stock_sample", "records_sample"):
        keep = next(r for r in found[area].records if r.author == "zhang")
        resolve_conflict(lead_lap[0], lead_lap[1], area, "sample", keep.id, actor=lead, is_lead=True)
    review_finding(lead_lap[0], lead_lap[1], ev.id, "approve", "ok", actor=lead)
    _exchange_all(laptops, tmp_path, "r2")
    for e, iid, _l in laptops:
        with e.connect() as conn:
            assert list_conflicts(conn, iid) == []
            kept = stock.current_sample(conn, iid)
            assert (kept.seed, kept.top, kept.random) == (mine.seed, mine.top, mine.random)
            assert kept.added == [extra]                      # the drug added by hand stays added
            assert records.current_sample(conn, iid).seed == 1
    assert len({_digest(lap) for lap in laptops}) == 1


def test_the_cli_lists_and_resolves_a_sample_conflict_in_words(laptops, tmp_path, monkeypatch, capsys):
    from inspector.cli import run
    from tests.support.accounts import use_account

    lead_lap, ward, _p = laptops
    stock.draw_sample(lead_lap[0], lead_lap[1], actor=authenticate(lead_lap[0], "zhang", password_of("zhang")))
    stock.draw_sample(ward[0], ward[1], seed=7, actor=authenticate(ward[0], "li", password_of("li")))
    _import(lead_lap, _export(ward, tmp_path / "w.bundle"))
    db = str(tmp_path / "l0.db")
    capsys.readouterr()
    assert run(["conflicts", "--inspection", str(lead_lap[1]), "--db", db]) == 0
    out = capsys.readouterr().out
    assert "盘点样本" in out and "记录编号" in out and "随机种子 7：20 种药品" in out and "病历评审" not in out
    with lead_lap[0].connect() as conn:
        keep = next(r.id for r in list_conflicts(conn, lead_lap[1])[0].records if r.author == "li")
    use_account(monkeypatch, tmp_path, "zhang")
    assert run(["conflicts", "--inspection", str(lead_lap[1]), "--db", db, "--resolve", "stock_sample", "sample",
                "--keep", keep[:8]]) == 0
    out = capsys.readouterr().out
    assert out.startswith("盘点样本 的冲突已由 张组长 处理")
    with lead_lap[0].connect() as conn:
        assert list_conflicts(conn, lead_lap[1]) == []
        assert stock.current_sample(conn, lead_lap[1]).seed == 7


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(ops=st.lists(st.one_of(
           st.tuples(st.just("tick"), st.integers(0, 2), st.sampled_from(BEDS),
                     st.sampled_from(["present", "absent"])),
           st.tuples(st.just("send"), st.integers(0, 2), st.integers(0, 2), st.just(None)),
           # a sample drawn on one laptop: with the settings' seed (1) or another one
           st.tuples(st.sampled_from(["stock_draw", "records_draw"]), st.integers(0, 2), st.sampled_from([1, 7]),
                     st.just(None))),
           min_size=1, max_size=14),
       order=st.permutations(range(6)))
def test_any_operations_and_exchange_orders_end_in_the_same_state(world, tmp_path_factory, ops, order):
    folder = tmp_path_factory.mktemp("prop")
    laps = []
    for k, login in enumerate(OWNERS):
        shutil.copy(world["base"] / f"l{k}.db", folder / f"l{k}.db")
        e = open_store(folder / f"l{k}.db")
        with e.connect() as conn:
            laps.append((e, conn.exec_driver_sql("SELECT id FROM inspection").scalar(), login))
    try:
        actors = [authenticate(e, login, password_of(login)) for e, _i, login in laps]
        drawn: dict[str, set[int]] = {}
        for n, (op, a, b, outcome) in enumerate(ops):
            if op == "tick":
                census.record_outcome(laps[a][0], laps[a][1], b, outcome, note=f"op {n}", actor=actors[a])
            elif op in ("stock_draw", "records_draw"):
                module = stock if op == "stock_draw" else records
                with laps[a][0].connect() as conn:
                    fresh = module.current_sample(conn, laps[a][1]) is None
                try:
                    if op == "stock_draw":
                        stock.draw_sample(laps[a][0], laps[a][1], seed=b, actor=actors[a])
                    else:
                        records.draw_sample(laps[a][0], laps[a][1], n=3, seed=b, actor=actors[a])
                except UserError:
                    assert not fresh  # this laptop already holds a sample drawn otherwise: it is kept
                if fresh:             # a draw no other laptop had seen: it may differ from theirs
                    drawn.setdefault(op, set()).add(b)
            elif a != b:
                _import(laps[b], _export(laps[a], folder / f"op{n}.bundle"))
        # final exchange: every laptop's bundle into every other, in a random order
        made = [_export(lap, folder / f"final-{k}.bundle") for k, lap in enumerate(laps)]
        pairs = [(i, j) for i in range(3) for j in range(3) if i != j]
        for p in order:
            i, j = pairs[p]
            _import(laps[j], made[i])
        digests = {_digest(lap) for lap in laps}
        assert len(digests) == 1
        listed = []
        for e, iid, _l in laps:
            with e.connect() as conn:
                listed.append(sorted((c.area, c.item, tuple(sorted(r.id for r in c.records)))
                                     for c in list_conflicts(conn, iid)))
            assert verify_log(e).ok
        assert listed[0] == listed[1] == listed[2]
        # samples drawn separately with different seeds are listed, and only those
        sample_conflicts = {area for area, _item, _r in listed[0] if area.endswith("_sample")}
        assert sample_conflicts == {f"{op.split('_')[0]}_sample" for op, seeds in drawn.items() if len(seeds) > 1}
    finally:
        for e, _i, _l in laps:
            e.dispose()


# --- bad bundles --------------------------------------------------------------------------

def _refused(lap, path: Path, match: str) -> None:
    before = _snapshot_of(lap)
    with pytest.raises(BundleError, match=match):
        _import(lap, path)
    assert _snapshot_of(lap) == before


def test_bad_bundles_are_refused_and_change_nothing(laptops, world, tmp_path):
    lead_lap, ward, _p = laptops
    census.record_outcome(ward[0], ward[1], "M4", "present", note="wristband",
                          actor=authenticate(ward[0], "li", password_of("li")))
    from inspector.exchange.sealing import seal, unseal

    good = _export(ward, tmp_path / "good.bundle")
    sealed = good.read_bytes()
    # sealed for the team: nothing of the events or of who wrote them shows
    assert set(json.loads(sealed)) == {"format", "recipients", "nonce", "ciphertext"}
    for text in (b"wristband", b"outcome", b"census", b"BEGIN CERTIFICATE", b"inspection"):
        assert text not in sealed
    lead = _reader(lead_lap[0], lead_lap[2])
    data = unseal(json.loads(sealed), lead.key.private_key, lead.key.certificate)   # the signed document

    def for_lead(doc_bytes: bytes) -> bytes:
        return seal(doc_bytes, [lead.key.certificate])

    flipped = tmp_path / "flipped.bundle"      # a byte of the signed document, sealed again
    i = data.index(b'"outcome":"present"') + 12
    flipped.write_bytes(for_lead(data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1:]))
    _refused(lead_lap, flipped, "签名无效|不是 Inspector 交换包")
    envelope = json.loads(sealed)             # a byte of the sealed ciphertext
    c = envelope["ciphertext"]
    envelope["ciphertext"] = c[:40] + ("A" if c[40] != "A" else "B") + c[41:]
    (tmp_path / "flipped-seal.bundle").write_text(json.dumps(envelope))
    _refused(lead_lap, tmp_path / "flipped-seal.bundle", "不是 Inspector 交换包")

    cut = tmp_path / "cut.bundle"
    cut.write_bytes(sealed[: len(sealed) // 2])
    _refused(lead_lap, cut, "不是 Inspector 交换包")

    # sealed for someone else only: the lead cannot open it
    ward_key = _reader(ward[0], ward[2])
    (tmp_path / "not-mine.bundle").write_bytes(seal(data, [ward_key.key.certificate]))
    _refused(lead_lap, tmp_path / "not-mine.bundle", "证书")

    # another inspection: a re-signed body naming another uid
    doc = json.loads(data)
    me = _key(ward[0], "li")
    from inspector.exchange.bundle import sign_body

    other = dict(doc["body"], inspection="00000000-0000-0000-0000-000000000000")
    (tmp_path / "other.bundle").write_text(json.dumps({"format": doc["format"], "body": other,
                                                       "signature": sign_body(other, me.key.private_key,
                                                                              me.key.certificate)}))
    _refused(lead_lap, tmp_path / "other.bundle", "不在本机上")
    snapshot = dict(doc["body"], snapshot="0" * 64)
    (tmp_path / "snap.bundle").write_text(json.dumps({"format": doc["format"], "body": snapshot,
                                                      "signature": sign_body(snapshot, me.key.private_key,
                                                                             me.key.certificate)}))
    _refused(lead_lap, tmp_path / "snap.bundle", "另一份数据快照")

    # signed by someone not on the team (a key from the same CA)
    from cryptography.hazmat.primitives.serialization import pkcs12

    issue_key(world["ca"], "外人", tmp_path / "x.p12", KEY_PASS, cert_no="61019999999999", ca_passphrase=CA_PASS)
    key, cert, _chain = pkcs12.load_key_and_certificates((tmp_path / "x.p12").read_bytes(), KEY_PASS)
    (tmp_path / "stranger.bundle").write_text(json.dumps({"format": doc["format"], "body": doc["body"],
                                                          "signature": sign_body(doc["body"], key, cert)}))
    _refused(lead_lap, tmp_path / "stranger.bundle", "不是本检查组")

    # a key outside the trust anchors: another CA issuing a certificate with the same name
    rogue = tmp_path / "rogue-ca"
    create_demo_ca(rogue, CA_PASS)
    issue_key(rogue, me.display_name, tmp_path / "r.p12", KEY_PASS, cert_no=me.cert_no, ca_passphrase=CA_PASS)
    key, cert, _chain = pkcs12.load_key_and_certificates((tmp_path / "r.p12").read_bytes(), KEY_PASS)
    (tmp_path / "rogue.bundle").write_text(json.dumps({"format": doc["format"], "body": doc["body"],
                                                       "signature": sign_body(doc["body"], key, cert)}))
    _refused(lead_lap, tmp_path / "rogue.bundle", "信任根")

    assert _import(lead_lap, good).added >= 1        # the good one still goes in
