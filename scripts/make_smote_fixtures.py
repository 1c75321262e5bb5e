#!/usr/bin/env python3
"""Writes the known-answer fixture for the SMOTE family of ImbalanceData.

The Swift tests never call Python: this script was run once and its output,
Tests/ImbalanceDataTests/Fixtures/smote_known_answers.json, is committed. It records, for a
small three-class data set, what imbalanced-learn computes:

- the k = 5 nearest neighbours of every point within its class (SMOTE, borderline-1 and
  ADASYN synthesis), and the m = 10 and k = 5 nearest in the whole set (the danger test,
  borderline-2 synthesis, ADASYN's ratios), from scikit-learn's NearestNeighbors exactly as
  imbalanced-learn calls it (n_neighbors + 1, the first column, the point itself, dropped);
- BorderlineSMOTE's danger sets (its `in_danger_indices`, borderline-1 and -2);
- ADASYN's samples per member (its rule, lines "ratio_nn ... np.rint(ratio_nn * n_samples)"
  of ADASYN._fit_resample, evaluated here with the same neighbours; the class totals are
  checked against ADASYN's real output);
- the class counts after fit_resample and the synthetic samples themselves, for every
  sampler (random_state=0), so the Swift test can check that each of imbalanced-learn's
  samples lies on a segment the Swift neighbour sets allow.

Requirements: imbalanced-learn (pip install imbalanced-learn; Benchmarks/peers/setup.sh's
venv is enough). Rerun with

    ~/.cache/imbench/peers-venv/bin/python scripts/make_smote_fixtures.py

The data are integers in 0..255 (bytes, as images), in overlapping clusters so that every
class has danger members. The seed is chosen so that no neighbour order the samplers use has a tie
(scikit-learn leaves the order of ties open).
"""

import itertools
import json
import os

import imblearn
import numpy as np
import sklearn
from imblearn.over_sampling import ADASYN, SMOTE, BorderlineSMOTE
from sklearn.neighbors import NearestNeighbors

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "ImbalanceDataTests", "Fixtures",
                   "smote_known_answers.json")
SIZES = [40, 14, 7]
D = 5
CENTRES = [[100, 110, 120, 130, 140], [130, 120, 140, 110, 150], [115, 135, 125, 120, 130]]


def make(seed):
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for c, n in enumerate(SIZES):
        xs.append(np.clip(np.rint(rng.normal(CENTRES[c], 18, size=(n, D))), 0, 255))
        ys += [c] * n
    x = np.vstack(xs).astype(np.int64)
    y = np.array(ys)
    order = rng.permutation(len(y))          # classes interleaved, as in a real index list
    return x[order], y[order]


def unambiguous(x, y):
    """No ties where an order is used: for every point, its 12 nearest others (the m = 10
    neighbourhood and one beyond) and its 6 nearest within its class are strictly ordered."""
    for i in range(len(y)):
        d = ((x - x[i]) ** 2).sum(axis=1)
        others = np.sort(np.delete(d, i))[:13]
        same = np.sort(np.delete(d[y == y[i]], np.flatnonzero(np.flatnonzero(y == y[i]) == i)))[:7]
        if len(set(others.tolist())) < len(others) or len(set(same.tolist())) < len(same):
            return False
    return True


seed = 0
while True:
    X, y = make(seed)
    if unambiguous(X, y):
        break
    seed += 1
Xf = X.astype(np.float64)


def knn(points, queries_idx, reference_idx, k):
    nn = NearestNeighbors(n_neighbors=k + 1).fit(points[reference_idx])
    found = nn.kneighbors(points[queries_idx], return_distance=False)[:, 1:]
    return [[int(reference_idx[j]) for j in row] for row in found]


all_idx = np.arange(len(y))
within = {}
for c in range(len(SIZES)):
    members = np.flatnonzero(y == c)
    within[str(c)] = dict(zip(map(str, members.tolist()), knn(Xf, members, members, 5)))
whole10 = dict(zip(map(str, all_idx.tolist()), knn(Xf, all_idx, all_idx, 10)))
whole5 = dict(zip(map(str, all_idx.tolist()), knn(Xf, all_idx, all_idx, 5)))

samplers = {
    "SMOTE": SMOTE(random_state=0),
    "borderline-SMOTE-1": BorderlineSMOTE(kind="borderline-1", random_state=0),
    "borderline-SMOTE-2": BorderlineSMOTE(kind="borderline-2", random_state=0),
    "ADASYN": ADASYN(random_state=0),
}
results = {}
for name, s in samplers.items():
    xr, yr = s.fit_resample(Xf, y)
    entry = {"resampledCounts": np.bincount(yr, minlength=len(SIZES)).tolist(),
             "synthetic": xr[len(y):].tolist(), "syntheticLabels": yr[len(y):].tolist()}
    if name.startswith("borderline"):
        entry["danger"] = {str(c): sorted(int(i) for i in idx) for c, idx in s.in_danger_indices.items()}
    results[name] = entry

# ADASYN's samples per member, by its own rule with the neighbours above.
target = max(SIZES)
adasyn_counts = {}
for c in range(len(SIZES)):
    members = np.flatnonzero(y == c)
    deficit = target - len(members)
    if deficit == 0:
        continue
    ratio = np.array([sum(y[j] != c for j in whole5[str(i)]) / 5 for i in members])
    ratio /= ratio.sum()
    per = np.rint(ratio * deficit).astype(int)
    assert per.sum() == results["ADASYN"]["resampledCounts"][c] - len(members), "ADASYN rule reproduced"
    adasyn_counts[str(c)] = dict(zip(map(str, members.tolist()), per.tolist()))

fixture = {
    "generator": "scripts/make_smote_fixtures.py", "seed": seed,
    "imbalanced-learn": imblearn.__version__, "scikit-learn": sklearn.__version__, "numpy": np.__version__,
    "features": D, "x": X.reshape(-1).tolist(), "y": y.tolist(),
    "withinClass5": within, "wholeSet10": whole10, "wholeSet5": whole5,
    "adasynSamplesPerMember": adasyn_counts, "samplers": results,
}
os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w") as f:
    json.dump(fixture, f, indent=1, sort_keys=True)
    f.write("\n")
print("wrote", os.path.normpath(OUT), "seed", seed,
      {n: r["resampledCounts"] for n, r in results.items()},
      {n: {c: len(v) for c, v in r.get("danger", {}).items()} for n, r in results.items()})
