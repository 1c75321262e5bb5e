#!/usr/bin/env python3
"""Writes the known-answer fixture for the ImbalanceMetrics tests.

The Swift tests never call Python: this script was run once and its output,
Tests/ImbalanceMetricsTests/Fixtures/metrics_known_answers.json, is committed. It records
the inputs of several seeded cases together with scikit-learn's answers, so the Swift
metrics are checked against an independent implementation rather than against themselves.

Requirements: numpy, scikit-learn and imbalanced-learn (`pip install scikit-learn
imbalanced-learn`). Rerun with

    python3 scripts/make_metric_fixtures.py

and commit the JSON together with any change here. The output depends only on the seeds
below and on the numpy/scikit-learn versions (recorded in the file).

How the cases are made, and why:
- Scores are float32 throughout, cast *before* scikit-learn sees them, so Python and Swift
  rank the very same numbers. Each score is written as the shortest decimal that parses
  (decimal -> float64 -> float32) back to the same float32, which is how the Swift test
  decodes it; the script asserts that round trip, and every case carries the sum of the
  scores' float32 bit patterns so the Swift test can prove its decoded values are identical.
- Several cases have exact ties (scores on a grid of 1/10, 1/100 or 1/1000, repeated rows,
  a constant column), because ties are where AUC implementations disagree: the protocol
  counts them as half (average ranks), which is what scikit-learn's trapezoidal ROC does.
- Multi-class rows are on the simplex (scikit-learn's "ovr" insists on rows summing to 1).
- For K = 2 scikit-learn's roc_auc_score is the binary AUC of column 1 only; the suite's
  multi-class AUC averages both columns. The K = 2 cases use complementary columns (column
  0 ranks the samples exactly in reverse with the same ties), where the two agree, and the
  fixture records which reference each expectation came from.
- One case lacks a class in the test labels: its one-vs-rest AUC is undefined (null here,
  nan in scikit-learn), and the expected mean is taken over the defined classes.
- Thresholding expectations (method 5: divide each column by its training prior, then
  arg-max) are computed here in float64 with numpy, the first maximum winning.
- MCC is scikit-learn's matthews_corrcoef; average precision is average_precision_score per
  class (one-vs-rest, binary) for the classes present, and the macro value is checked
  against average_precision_score(one_hot, scores, average="macro") when every class is
  present; G-mean is imbalanced-learn's geometric_mean_score(average="multiclass",
  labels=<classes present in y_true>), the suite's definition (absent classes left out).
- The expected calibration error has no scikit-learn or SciPy implementation; it is
  computed here in float64 from its definition (Guo et al. 2017, top-label, 15 equal-width
  bins ((b-1)/M, b/M], boundaries b/M as Python floats, confidence 0 in the first bin),
  a second implementation independent of the Swift one. For thresholded decisions the
  probabilities are the prior-corrected posteriors (p_j / pi_j) / sum_k (p_k / pi_k).
- Minority / majority means of recall and AUC use each case's `minority_classes`.
"""

import json
import math
import os
import re
import warnings

import imblearn
import numpy as np
import sklearn
from sklearn.exceptions import UndefinedMetricWarning
from imblearn.metrics import geometric_mean_score
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    matthews_corrcoef,
    precision_recall_fscore_support,
    roc_auc_score,
)

ECE_BINS = 15

OUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    "..", "Tests", "ImbalanceMetricsTests", "Fixtures", "metrics_known_answers.json",
)


def f32_text(x):
    """Shortest decimal for a float32 that survives decimal -> float64 -> float32."""
    x = np.float32(x)
    s = np.format_float_positional(x, unique=True, trim="-")
    if np.float32(float(s)) != x:  # double rounding: fall back to the float64 repr
        s = repr(float(x))
        assert np.float32(float(s)) == x
    return s


def softmax32(logits):
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


def grid_simplex(p, resolution):
    """Rounds probability rows onto the grid 1/resolution, rows still summing to exactly 1
    (largest remainder), so scores tie exactly and stay on the simplex."""
    counts = np.floor(p * resolution).astype(np.int64)
    short = resolution - counts.sum(axis=1)
    for i in range(p.shape[0]):
        counts[i, np.argsort(-(p[i] * resolution - counts[i]), kind="stable")[: short[i]]] += 1
    return counts / resolution


def biased_dirichlet(rng, labels, k, alpha, boost):
    """Probability rows that favour each sample's true class: a toy network's output."""
    a = np.full((len(labels), k), alpha)
    a[np.arange(len(labels)), labels] += boost
    return np.array([rng.dirichlet(row) for row in a])


def ece_reference(prob, labels, bins=ECE_BINS):
    """Top-label ECE from its definition, float64, bins ((b-1)/M, b/M]."""
    prob = np.asarray(prob, dtype=np.float64)
    conf = prob.max(axis=1)
    pred = prob.argmax(axis=1)
    correct = (pred == labels).astype(np.float64)
    total = 0.0
    for b in range(1, bins + 1):
        lo, hi = (b - 1) / bins, b / bins
        member = (conf > lo) & (conf <= hi)
        if b == 1:
            member |= conf == 0
        size = int(member.sum())
        if size:
            total += size / len(labels) * abs(correct[member].mean() - conf[member].mean())
    return float(total)


def group_means(values, minority):
    mino = [v for c, v in enumerate(values) if v is not None and c in minority]
    majo = [v for c, v in enumerate(values) if v is not None and c not in minority]
    return {"minority": (float(np.mean(mino)) if mino else None),
            "majority": (float(np.mean(majo)) if majo else None)}


def decision_extras(labels, pred, k, prob, minority):
    """MCC, G-mean, ECE and the minority / majority recall means of one set of decisions."""
    present = sorted(set(labels.tolist()))
    recall_defined = []
    for c in range(k):
        n_c = int((labels == c).sum())
        recall_defined.append(float(((pred == c) & (labels == c)).sum() / n_c) if n_c else None)
    return {
        "mcc": float(matthews_corrcoef(labels, pred)),
        "g_mean": float(geometric_mean_score(labels, pred, average="multiclass", labels=present)),
        "ece": ece_reference(prob, labels),
        "recall_means": group_means(recall_defined, minority),
    }


def nullable(x):
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def case(name, description, scores, labels, k, train_counts=None, minority=()):
    scores = np.asarray(scores, dtype=np.float32)
    labels = np.asarray(labels, dtype=np.int64)
    n = labels.shape[0]
    assert scores.shape == (n, k), (name, scores.shape)
    present = sorted(set(labels.tolist()))

    per_class = []
    for c in range(k):
        y = (labels == c).astype(np.int64)
        if 0 < y.sum() < n:
            per_class.append(float(roc_auc_score(y, scores[:, c])))
        else:
            per_class.append(None)
    defined = [a for a in per_class if a is not None]

    per_class_ap = []
    for c in range(k):
        y = (labels == c).astype(np.int64)
        per_class_ap.append(float(average_precision_score(y, scores[:, c])) if y.sum() > 0 else None)
    defined_ap = [a for a in per_class_ap if a is not None]
    sklearn_macro_ap = None
    if len(present) == k:
        sklearn_macro_ap = float(average_precision_score(np.eye(k)[labels], scores, average="macro"))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        if k == 2:
            ovr = float(roc_auc_score(labels, scores[:, 1])) if len(present) == 2 else None
            ovr_source = "roc_auc_score(y, scores[:, 1]) (binary: column 1 only)"
        else:
            ovr = nullable(float(roc_auc_score(labels, scores, multi_class="ovr",
                                               average="macro", labels=list(range(k)))))
            ovr_source = "roc_auc_score(y, scores, multi_class='ovr', average='macro', labels=range(K))"

    pred = scores.argmax(axis=1)  # first maximum wins
    labs = list(range(k))
    prec, rec, f1s, _ = precision_recall_fscore_support(
        labels, pred, labels=labs, zero_division=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "y_pred contains classes not in y_true"
        bacc = float(balanced_accuracy_score(labels, pred))

    out = {
        "name": name,
        "description": description,
        "class_count": k,
        "sample_count": n,
        "scores": [f32_text(v) for v in scores.reshape(-1)],
        "scores_bits_sum": int(scores.view(np.uint32).astype(np.uint64).sum()),
        "labels": labels.tolist(),
        "expected": {
            "per_class_auc": per_class,
            "defined_auc_classes": len(defined),
            "multi_class_auc": (float(np.mean(defined)) if defined else None),
            "sklearn_ovr_auc": ovr,
            "sklearn_ovr_auc_call": ovr_source,
            "predictions": pred.tolist(),
            "accuracy": float(accuracy_score(labels, pred)),
            "balanced_accuracy": bacc,
            "macro_f1": float(f1_score(labels, pred, labels=labs, average="macro",
                                       zero_division=0)),
            "precision": [float(v) for v in prec],
            "recall": [float(v) for v in rec],
            "f1": [float(v) for v in f1s],
            "confusion": confusion_matrix(labels, pred, labels=labs).tolist(),
            "per_class_average_precision": per_class_ap,
            "macro_average_precision": (float(np.mean(defined_ap)) if defined_ap else None),
            "sklearn_macro_average_precision": sklearn_macro_ap,
            "auc_means": group_means(per_class, set(minority)),
            **decision_extras(labels, pred, k, scores, set(minority)),
        },
        "minority_classes": list(minority),
    }
    # The scores travel as text; make sure they come back bit-identical.
    back = np.array([np.float32(float(s)) for s in out["scores"]], dtype=np.float32)
    assert np.array_equal(back.view(np.uint32), scores.reshape(-1).view(np.uint32)), name
    if k > 2 and len(present) == k:
        assert abs(out["expected"]["multi_class_auc"] - ovr) < 1e-12, name
    if sklearn_macro_ap is not None:
        assert abs(out["expected"]["macro_average_precision"] - sklearn_macro_ap) < 1e-12, name

    if train_counts is not None:
        counts = np.asarray(train_counts, dtype=np.int64)
        priors = counts / counts.sum()
        adjusted = scores.astype(np.float64) / priors
        tpred = adjusted.argmax(axis=1)
        out["thresholding"] = {
            "train_counts": counts.tolist(),
            "predictions": tpred.tolist(),
            "accuracy": float(accuracy_score(labels, tpred)),
            "balanced_accuracy": float(balanced_accuracy_score(labels, tpred)),
            "macro_f1": float(f1_score(labels, tpred, labels=labs, average="macro",
                                       zero_division=0)),
            "confusion": confusion_matrix(labels, tpred, labels=labs).tolist(),
            **decision_extras(labels, tpred, k, adjusted / adjusted.sum(axis=1, keepdims=True),
                              set(minority)),
        }
    return out


def main():
    cases = []

    # K = 2, n = 7: a hand-sized case on a 1/16 grid, with ties across the classes.
    rng = np.random.default_rng(20180101)
    p1 = np.array([3, 8, 8, 12, 5, 8, 15]) / 16
    y = np.array([0, 1, 0, 1, 0, 1, 1])
    cases.append(case("binary_n7", "K=2, n=7, scores on a 1/16 grid, a three-way tie",
                      np.stack([1 - p1, p1], axis=1), y, 2))

    # K = 2, n = 300: one decimal, so only 11 distinct values; columns complementary.
    d = rng.integers(0, 11, size=300)
    y = (rng.random(300) < 0.25 + 0.05 * d).astype(np.int64)
    cases.append(case("binary_ties_n300",
                      "K=2, n=300, scores rounded to 1 decimal (11 distinct values), imbalanced labels",
                      np.stack([(10 - d) / 10, d / 10], axis=1), y, 2))

    # K = 3, n = 1000: full-precision float32 softmax of noisy logits.
    n, k = 1000, 3
    y = rng.integers(0, k, size=n)
    logits = rng.normal(size=(n, k)) * 1.5
    logits[np.arange(n), y] += 1.0
    cases.append(case("k3_softmax_n1000", "K=3, n=1000, float32 softmax, few ties",
                      softmax32(logits), y, k))

    # K = 3, n = 2000: rows on a 1/100 grid, heavy ties in every column.
    n, k = 2000, 3
    y = rng.integers(0, k, size=n)
    s = grid_simplex(biased_dirichlet(rng, y, k, 1.0, 1.0), 100)
    cases.append(case("k3_grid100_n2000", "K=3, n=2000, scores on a 1/100 grid (heavy ties)",
                      s, y, k))

    # K = 10, n = 500: float32 softmax with thresholding priors of a step profile (mu = 0.3).
    n, k = 500, 10
    y = rng.integers(0, k, size=n)
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), y] += 1.5
    train_counts = np.array([5000, 5000, 5000, 50, 50, 5000, 5000, 50, 5000, 5000])
    logits += np.log(train_counts / train_counts.sum())  # a network biased by its priors
    cases.append(case("k10_softmax_n500",
                      "K=10, n=500 balanced-ish test, float32 softmax biased towards 7 majority classes",
                      softmax32(logits), y, k, train_counts=train_counts, minority=(3, 4, 7)))

    # K = 10, imbalanced test labels, 1/1000 grid, with thresholding priors of a step profile.
    k = 10
    per = [120, 120, 120, 120, 120, 6, 6, 6, 6, 6]
    y = np.concatenate([np.full(c, i) for i, c in enumerate(per)])
    y = y[rng.permutation(len(y))]
    n = len(y)
    p = biased_dirichlet(rng, y, k, 0.5, 1.5) * np.array([1.0] * 5 + [0.1] * 5)
    s = grid_simplex(p / p.sum(axis=1, keepdims=True), 1000)
    cases.append(case("k10_imbalanced_grid1000",
                      "K=10, n=630, test labels step-imbalanced 120 vs 6, 1/1000 grid, thresholding priors",
                      s, y, k, train_counts=[5000] * 5 + [50] * 5, minority=(5, 6, 7, 8, 9)))

    # K = 4: argmax ties (first maximum must win), a constant column (AUC exactly 0.5).
    rows = np.array([
        [0.25, 0.25, 0.25, 0.25], [0.3, 0.3, 0.15, 0.25], [0.1, 0.325, 0.325, 0.25],
        [0.0, 0.25, 0.5, 0.25], [0.05, 0.25, 0.45, 0.25], [0.375, 0.375, 0.0, 0.25],
        [0.25, 0.5, 0.0, 0.25], [0.0, 0.375, 0.375, 0.25], [0.2, 0.25, 0.3, 0.25],
    ] * 5)
    rows = rows[rng.permutation(len(rows))]
    y = rng.integers(0, 4, size=len(rows))
    cases.append(case("k4_argmax_ties_constant_column",
                      "K=4, n=45, repeated rows with tied maxima, column 3 constant 0.25",
                      rows, y, 4, train_counts=[100, 100, 10, 10], minority=(2, 3)))

    # K = 5: class 3 never appears in the test labels; class 4 is never predicted.
    n, k = 40, 5
    y = rng.choice([0, 1, 2, 4], size=n)
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), y] += 1.0
    logits[:, 4] -= 4.0
    cases.append(case("k5_absent_class",
                      "K=5, n=40, class 3 absent from the labels (its AUC undefined) but predicted, class 4 never predicted",
                      softmax32(logits), y, k, minority=(3, 4)))

    # K = 3, n = 7: the smallest multi-class case, every class present.
    y = np.array([0, 1, 2, 2, 1, 0, 2])
    s = np.array([[0.7, 0.2, 0.1], [0.2, 0.5, 0.3], [0.1, 0.1, 0.8], [0.3, 0.4, 0.3],
                  [0.2, 0.2, 0.6], [0.6, 0.3, 0.1], [0.3, 0.3, 0.4]])
    cases.append(case("k3_n7", "K=3, n=7, one-decimal scores", s, y, 3,
                      train_counts=[10, 1, 5], minority=(1,)))

    # K = 3: confident rows (top probability 1.0 and values near bin edges), for the ECE's
    # closed upper bin ends, and a class never predicted (G-mean 0, MCC still defined).
    rows = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.4, 0.35, 0.25], [0.6, 0.4, 0.0],
                     [0.2, 0.4, 0.4], [0.0, 0.0, 1.0], [0.5, 0.5, 0.0], [1 / 3, 1 / 3, 1 / 3],
                     [0.8, 0.1, 0.1], [0.15, 0.85, 0.0]] * 3)
    y = rng.integers(0, 3, size=len(rows))
    y[:3] = [0, 1, 2]
    cases.append(case("k3_calibration_edges",
                      "K=3, n=30, top probabilities 1.0, 0.4, 0.6, 1/3, 0.5 ties, near the 15-bin edges",
                      rows, y, 3, train_counts=[30, 10, 5], minority=(2,)))

    doc = {
        "generator": "scripts/make_metric_fixtures.py",
        "sklearn_version": sklearn.__version__,
        "imblearn_version": imblearn.__version__,
        "numpy_version": np.__version__,
        "note": "Scores are float32 values, each written as the shortest decimal that parses "
                "to a float64 which rounds back to the same float32; scores_bits_sum is the "
                "sum of their float32 bit patterns. Null AUC = undefined (class absent). "
                "AUCs compare within 1e-12, counts exactly.",
        "cases": cases,
    }
    text = json.dumps(doc, separators=(",", ":"))
    # The scores were kept as text so that each is written as its shortest form; unquote
    # them into JSON numbers.
    text = re.sub(r'"scores":\[[^\]]*\]',
                  lambda m: '"scores":' + m.group(0)[len('"scores":'):].replace('"', ""), text)
    json.loads(text)
    with open(OUT, "w") as f:
        f.write(text + "\n")
    print(f"wrote {OUT}: {len(cases)} cases, {len(text)} bytes, sklearn {sklearn.__version__}")


if __name__ == "__main__":
    main()
