"""An independent, plain reading of the screening rules S1-S9 (domain BRIEF), used only to
check that the demo's planted cases are found, its decoys are not, and its background adds
no lead. It reads the central SQLite for a whole institution (the slice would hold the same
rows for these cases). Not the application's screening code."""
from __future__ import annotations

import sqlite3
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal, ROUND_HALF_UP


def D(x):
    return Decimal(repr(x)) if isinstance(x, float) else Decimal(x)


def r2(x):
    return str(x.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP))


def screen(db, inst, d0='2026-07-01', d1='2026-09-28', V='2026-10-08 10:00:00'):
    c = sqlite3.connect(db)
    W0 = d0 + ' 00:00:00'; W1 = (date.fromisoformat(d1) + timedelta(1)).isoformat() + ' 00:00:00'
    day = lambda t: t[:10]
    dd = lambda a, b: (date.fromisoformat(a[:10]) - date.fromisoformat(b[:10])).days
    leads = defaultdict(dict)
    stays = c.execute("select mdtrt_id, psn_no, begntime, endtime, adm_diag_codg from mdtrt where fixmedins_code=? and med_type='21'", (inst,)).fetchall()
    dscg = dict(c.execute("select mdtrt_id, dscg_maindiag_codg from medrcd where fixmedins_code=?", (inst,)))
    fees = defaultdict(list)
    for sn, m, t, code, ct, cnt, pric, amt in c.execute("select feedetl_sn, mdtrt_id, fee_ocur_time, med_list_codg, med_chrgitm_type, cnt, pric, det_item_fee_sumamt from feedetl where fixmedins_code=?", (inst,)):
        fees[m].append((sn, t, code, ct, D(cnt), D(pric), D(amt)))
    inw = lambda t: W0 <= t < W1
    byp = defaultdict(list)
    for s in stays: byp[s[1]].append(s)
    for p, ss in byp.items():
        ss.sort(key=lambda s: (s[2], s[0]))
        for prev in ss:
            if prev[3] is None: continue
            cands = [s for s in ss if s[0] != prev[0] and s[2] >= prev[3]]
            if not cands: continue
            nx = cands[0]
            g = dd(nx[2], prev[3])
            if 0 <= g <= 7 and inw(nx[2]):
                pd = dscg.get(prev[0]) or prev[4]
                sev = 'high' if (nx[4] or '')[:3] == (pd or '')[:3] else 'medium'
                leads['S1'][(prev[0], nx[0])] = dict(gap=g, severity=sev, amount=r2(sum(f[6] for f in fees[nx[0]] if inw(f[1]))))
        for i, a in enumerate(ss):
            for b in ss[i+1:]:
                ae = a[3] or V; be = b[3] or V
                if a[2] < be and b[2] < ae:
                    e = min(ae, be)
                    if b[2] < W1 and e > W0:
                        leads['S9'][(a[0], b[0])] = dict(amount=r2(sum(f[6] for f in fees[b[0]] if b[2] <= f[1] < e and inw(f[1]))))
    beds = c.execute("select aprv_bed_cnt from fixmedins where fixmedins_code=?", (inst,)).fetchone()[0]
    bq = defaultdict(lambda: [Decimal(0), Decimal(0)])
    lim = {k: (D(v) if v is not None else None, D(u) if u is not None else None) for k, v, u in c.execute("select med_list_codg, daily_cnt_limit, pric_uplmt_amt from med_list")}
    s3 = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for m, fl in fees.items():
        for sn, t, code, ct, cnt, pric, amt in fl:
            if not inw(t): continue
            if ct == '01':
                r = bq[(day(t), m)]; r[0] += cnt; r[1] += amt
            if lim[code][0] is not None:
                r = s3[(m, code, day(t))]; r[0] += cnt; r[1] += amt
            if lim[code][1] is not None and pric > lim[code][1]:
                leads['S5'][(sn,)] = dict(amount=r2((pric - lim[code][1]) * cnt))
    nd = defaultdict(lambda: [0, Decimal(0)])
    for (d, m), (q, a) in bq.items():
        if q > 0: nd[d][0] += 1; nd[d][1] += a
    for d, (n, a) in nd.items():
        if n > beds: leads['S2'][(d,)] = dict(n=n, excess=n-beds, amount=r2((n-beds) * a / n))
    for k, (q, a) in s3.items():
        if q > lim[k[1]][0]:
            leads['S3'][k] = dict(excess=str(q - lim[k[1]][0]), amount=r2((q - lim[k[1]][0]) * a / q))
    for s in stays:
        m, _, b, e, _ = s
        bad = [f for f in fees[m] if inw(f[1]) and (f[1] < b or (e is not None and f[1] > e))]
        if bad: leads['S4'][(m,)] = dict(amount=r2(sum(f[6] for f in bad)))
        # S8
        last = day(e) if e else V[:10]
        cur = date.fromisoformat(b[:10]); run = []; runs = []
        byday = defaultdict(list)
        for f in fees[m]: byday[day(f[1])].append(f)
        while cur.isoformat() <= last:
            ds = cur.isoformat()
            if W0[:10] <= ds < W1[:10]:
                fl = byday.get(ds, [])
                if fl and all(f[3] in ('01', '07') for f in fl): run.append(ds)
                else:
                    if len(run) >= 3: runs.append(run)
                    run = []
            cur += timedelta(1)
        if len(run) >= 3: runs.append(run)
        if runs:
            leads['S8'][(m,)] = dict(amount=r2(sum(f[6] for r in runs for d in r for f in byday[d])))
    # S6/S7
    W0d = W0[:10]
    drugs = {r[0] for r in c.execute("select med_list_codg from drug_inv where fixmedins_code=? union select med_list_codg from drug_purc where fixmedins_code=? union select med_list_codg from drug_sel where fixmedins_code=?", (inst,)*3)}
    for g in sorted(drugs):
        op = c.execute("select invdate, inv_cnt from drug_inv where fixmedins_code=? and med_list_codg=? and invdate<=? order by invdate desc limit 1", (inst, g, W0d)).fetchone()
        od = op[0] if op else W0d; bal = D(op[1]) if op else Decimal(0)
        ev = defaultdict(Decimal)
        for t, q, rf, p in c.execute("select purc_time, purc_cnt, retn_flag, purc_pric from drug_purc where fixmedins_code=? and med_list_codg=? and purc_time>=? and purc_time<?", (inst, g, od + ' 00:00:00', W1)):
            ev[t] += D(q) * (1 if rf == '0' else -1)
        for t, q, rf in c.execute("select sel_retn_time, sel_retn_cnt, retn_flag from drug_sel where fixmedins_code=? and med_list_codg=? and sel_retn_time>=? and sel_retn_time<?", (inst, g, od + ' 00:00:00', W1)):
            ev[t] += D(q) * (-1 if rf == '0' else 1)
        low = bal; b = bal; hist = []
        for t in sorted(ev):
            b += ev[t]; hist.append((t, b)); low = min(low, b)
        sales = c.execute("select sum(sel_retn_cnt), sum(sel_retn_cnt*pric) from drug_sel where fixmedins_code=? and med_list_codg=? and retn_flag='0' and sel_retn_time>=? and sel_retn_time<?", (inst, g, W0, W1)).fetchone()
        if low < 0:
            avg = (D(sales[1]) / D(sales[0])) if sales[0] else Decimal(0)
            leads['S6'][(g,)] = dict(shortfall=str(-low), amount=r2(-low * avg) if sales[0] else '0.00')
        buys = c.execute("select purc_cnt, purc_pric from drug_purc where fixmedins_code=? and med_list_codg=? and retn_flag='0' and purc_time>=? and purc_time<?", (inst, g, W0, W1)).fetchall()
        bq_ = sum(D(q) for q, p in buys); avgp = (sum(D(q)*D(p) for q, p in buys) / bq_) if bq_ else Decimal(0)
        for invd, cnt in c.execute("select invdate, inv_cnt from drug_inv where fixmedins_code=? and med_list_codg=? and invdate>? and invdate<?", (inst, g, od, W1[:10])):
            exp = bal
            for t, bb in hist:
                if t < invd + ' 00:00:00': exp = bb
            diff = D(cnt) - exp
            if abs(diff) > max(Decimal(1), abs(exp) / 100):
                leads['S7'][(g, invd)] = dict(declared=str(D(cnt)), expected=str(exp), amount=r2(abs(diff) * avgp))
    return leads

