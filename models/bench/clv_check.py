"""
Independent cross-check of the CLV holdout evaluation (models/bench/clv-real.ts): reads the CDNOW
file itself, builds x, t_x, T and the repeat spend with its own code, fits BG/NBD (Fader, Hardie &
Lee 2005, eq. 6) and Gamma-Gamma (Fader & Hardie 2013) with scipy, predicts E[X(t)] with scipy's
hyp2f1 (eq. 10) and scores against the holdout with scipy.stats.spearmanr. A benchmark peer only,
never a product dependency.

    python3 clv_check.py FILE CUTOFF HOLDOUT_END     (dates YYYY-MM-DD, both inclusive)
"""
import json
import sys
from datetime import date

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, gammaln, hyp2f1
from scipy.stats import spearmanr


def day(s):
    return date(int(s[0:4]), int(s[4:6]), int(s[6:8])).toordinal()


path, cut_s, end_s = sys.argv[1:4]
cut = date.fromisoformat(cut_s).toordinal()
end = date.fromisoformat(end_s).toordinal()
days = {}
for line in open(path):
    f = line.split()
    if len(f) != 5:
        continue
    c, d, amt = f[0], day(f[2]), float(f[4])
    days.setdefault(c, {}).setdefault(d, 0.0)
    days[c][d] += amt
ids = [c for c in days if min(days[c]) <= cut]
x = np.zeros(len(ids)); tx = np.zeros(len(ids)); T = np.zeros(len(ids)); m = np.zeros(len(ids))
hold_n = np.zeros(len(ids)); hold_s = np.zeros(len(ids))
for i, c in enumerate(ids):
    ds = sorted(d for d in days[c] if d <= cut)
    x[i] = len(ds) - 1
    tx[i] = (ds[-1] - ds[0]) / 7
    T[i] = (cut - ds[0]) / 7
    m[i] = sum(days[c][d] for d in ds[1:]) / x[i] if x[i] > 0 else 0
    h = [d for d in days[c] if cut < d <= end]
    hold_n[i] = len(h)
    hold_s[i] = sum(days[c][d] for d in h)


def bg_ll(p):
    r, al, a, b = np.exp(p)
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(al)
    a2 = betaln(a, b + x) - betaln(a, b)
    a3 = -(r + x) * np.log(al + T)
    a4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-12)) - (r + x) * np.log(al + tx), -np.inf)
    return -np.sum(a1 + a2 + np.logaddexp(a3, a4))


bg = minimize(bg_ll, np.log([0.5, 5, 0.5, 2.5]), method="Nelder-Mead", options={"maxiter": 20000, "xatol": 1e-9, "fatol": 1e-9})
r, al, a, b = np.exp(bg.x)
rep = x > 0


def gg_ll(p):
    pp, q, g = np.exp(p)
    xs, ms = x[rep], m[rep]
    return -np.sum(gammaln(pp * xs + q) - gammaln(pp * xs) - gammaln(q) + q * np.log(g) + (pp * xs - 1) * np.log(ms)
                   + pp * xs * np.log(xs) - (pp * xs + q) * np.log(g + xs * ms))


gg = minimize(gg_ll, np.log([1, 1, 1]), method="Nelder-Mead", options={"maxiter": 20000, "xatol": 1e-9, "fatol": 1e-9})
p, q, g = np.exp(gg.x)
t = (end - cut) / 7
z = t / (al + T + t)
ex = ((a + b + x - 1) / (a - 1)) * (1 - ((al + T) / (al + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z))
ex /= 1 + np.where(rep, a / np.maximum(b + x - 1, 1e-12) * ((al + T) / (al + tx)) ** (r + x), 0)
em = (g + m * x) * p / (p * x + q - 1)
spend = ex * em
print(json.dumps({
    "bgnbd": {"r": r, "alpha": al, "a": a, "b": b},
    "gamma_gamma": {"p": p, "q": q, "gamma": g},
    "customers": len(ids),
    "actual": {"purchases": hold_n.sum(), "spend": hold_s.sum()},
    "model": {"purchases": ex.sum(), "spend": spend.sum(),
              "spearman_spend": spearmanr(spend, hold_s).correlation,
              "mae_spend": float(np.mean(np.abs(spend - hold_s)))},
}))
