"""
The quality ceiling of one churn cutoff (issue 14, bench:models --real): the strongest learners
scikit-learn offers, tuned by an inner out-of-time cross-validation, on the product's own feature
matrix (with the BG/NBD columns), judged on the evaluation cutoff the product is judged on.

A benchmark peer only, never a product dependency. If even these learners cannot beat the best
baseline by 0.01 ROC-AUC at a cutoff, the goal is out of reach there for any model on these features.

    python3 ceiling.py --train TRAIN.csv --test TEST.csv --horizon DAYS --final-groups G1,G2

TRAIN.csv: a header, then feature columns, `group` (the cutoff as a day number) and `y` last;
missing values as `nan`. Rows of the groups in --final-groups are the product's training matrix;
the other groups (older cutoffs) are there for the inner validation only. TEST.csv: the same
columns at the evaluation cutoff. Prints one JSON object: per learner the inner-CV ROC-AUC, the
chosen settings and the ROC-AUC on the test cutoff; `pick` is the learner the inner CV chose (an
honest ceiling); `best` the best on the test cutoff (optimistic: chosen by looking at the test).
"""
import argparse
import itertools
import json
import sys
import time
import warnings

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, PolynomialFeatures, SplineTransformer, StandardScaler

warnings.filterwarnings("ignore")


def load(path):
    with open(path) as f:
        header = f.readline().strip().split(",")
    data = np.genfromtxt(path, delimiter=",", skip_header=1)
    if data.ndim == 1:
        data = data[None, :]
    return header, data


def signed_log(x):
    # Counts, days and money have long right tails; keep the sign for the few signed columns.
    return np.sign(x) * np.log1p(np.abs(x))


def hgb(params):
    return HistGradientBoostingClassifier(
        learning_rate=params["lr"],
        max_iter=params["iter"],
        max_leaf_nodes=params["leaves"],
        min_samples_leaf=params["leaf"],
        l2_regularization=1.0,
        random_state=1,
    )


def rf(params):
    # sklearn 1.2's forest takes no NaN: missing → −1, a value no feature takes.
    return make_pipeline(
        SimpleImputer(strategy="constant", fill_value=-1),
        RandomForestClassifier(
            n_estimators=200,
            min_samples_leaf=params["leaf"],
            max_features=params["mf"],
            n_jobs=1,
            random_state=1,
        ),
    )


def splines(params):
    return make_pipeline(
        SimpleImputer(strategy="median", add_indicator=True),
        FunctionTransformer(signed_log),
        SplineTransformer(n_knots=5, degree=3, knots="quantile", extrapolation="constant"),
        StandardScaler(),
        LogisticRegression(C=params["C"], max_iter=2000),
    )


def interactions(params):
    return make_pipeline(
        SimpleImputer(strategy="median", add_indicator=True),
        FunctionTransformer(signed_log),
        StandardScaler(),
        PolynomialFeatures(degree=2, include_bias=False),
        StandardScaler(),
        LogisticRegression(C=params["C"], max_iter=3000),
    )


def grid(**axes):
    keys = list(axes)
    return [dict(zip(keys, v)) for v in itertools.product(*(axes[k] for k in keys))]


LEARNERS = {
    # Small grids: 2 cores shared by a team; each point costs one fit per inner fold.
    "hist_gradient_boosting": (hgb, grid(lr=[0.05], iter=[80, 250], leaves=[4, 16], leaf=[20, 80])),
    "random_forest": (rf, grid(leaf=[10, 40], mf=["sqrt", 0.5])),
    "logistic_splines": (splines, grid(C=[0.003, 0.03, 0.3])),
    "logistic_interactions": (interactions, grid(C=[0.002, 0.02])),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", required=True)
    ap.add_argument("--test", required=True)
    ap.add_argument("--horizon", type=int, required=True)
    ap.add_argument("--final-groups", required=True, help="comma-separated group numbers of the product's training cutoffs")
    ap.add_argument("--inner-folds", type=int, default=2)
    ap.add_argument("--learners", default=",".join(LEARNERS), help="comma-separated subset of: " + ", ".join(LEARNERS))
    a = ap.parse_args()

    header, train = load(a.train)
    _, test = load(a.test)
    gi = header.index("group")
    X, g, y = train[:, :gi], train[:, gi].astype(np.int64), train[:, -1].astype(np.int64)
    Xt, yt = test[:, :gi], test[:, -1].astype(np.int64)
    # Columns constant in the training rows (a purchase log has no interactions or deals) say nothing.
    keep = [j for j in range(X.shape[1]) if np.unique(X[:, j][~np.isnan(X[:, j])]).size > 1 or np.isnan(X[:, j]).any()]
    X, Xt = X[:, keep], Xt[:, keep]
    final = set(int(s) for s in a.final_groups.split(","))
    pool = len(final)

    # Inner folds, newest first: validate at a cutoff v, train on the `pool` newest cutoffs whose labels
    # end by v (cutoff ≤ v − horizon): the product's own rule, one level down.
    groups = sorted(set(g.tolist()), reverse=True)
    inner = []
    for v in groups:
        tr = [c for c in groups if c <= v - a.horizon][:pool]
        if tr and len(inner) < a.inner_folds:
            va = g == v
            if len(set(y[va].tolist())) == 2:
                inner.append((np.isin(g, tr), va))

    fin = np.isin(g, list(final))
    out = {"inner_folds": len(inner), "rows": int(fin.sum()), "features": len(keep), "learners": {}}
    for name in a.learners.split(","):
        make, points = LEARNERS[name]
        t0 = time.process_time()
        best, best_auc = points[len(points) // 2], float("nan")
        if inner:
            for params in points:
                aucs = []
                for tr, va in inner:
                    m = make(params).fit(X[tr], y[tr])
                    aucs.append(roc_auc_score(y[va], m.predict_proba(X[va])[:, 1]))
                if not (np.mean(aucs) <= best_auc):
                    best, best_auc = params, float(np.mean(aucs))
        m = make(best).fit(X[fin], y[fin])
        auc = float(roc_auc_score(yt, m.predict_proba(Xt)[:, 1]))
        out["learners"][name] = {
            # JSON has no NaN: no inner fold → null (untuned, the grid's middle point).
            "inner_auc": best_auc if best_auc == best_auc else None,
            "params": best,
            "test_auc": auc,
            "cpu_seconds": time.process_time() - t0,
        }
    ls = out["learners"]
    tuned = {k: v for k, v in ls.items() if v["inner_auc"] is not None}
    pick = max(tuned, key=lambda k: tuned[k]["inner_auc"]) if tuned else "hist_gradient_boosting"
    out["pick"] = pick
    out["best"] = max(ls, key=lambda k: ls[k]["test_auc"])
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
