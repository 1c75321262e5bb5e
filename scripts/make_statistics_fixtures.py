#!/usr/bin/env python3
"""Writes the known-answer fixture for the ImbalanceStatistics tests.

The Swift tests never call Python: this script was run once and its output,
Tests/ImbalanceStatisticsTests/Fixtures/statistics_known_answers.json, is committed. It
holds seeded inputs with SciPy's (and, for Holm, statsmodels') answers, so the suite's tests
and distributions are checked against independent implementations.

Requirements: numpy, scipy, statsmodels (`pip install numpy scipy statsmodels`). Rerun with

    python3 scripts/make_statistics_fixtures.py

and commit the JSON with any change here. The output depends only on the seeds below and on
the library versions (recorded in the file).

What is covered, and why:
- wilcoxon(d) with SciPy's defaults (zero_method="wilcox", correction=False, method="auto"):
  small samples without ties (exact distribution), with zeros or ties at n <= 13 (SciPy's
  exhaustive permutation test), with ties or zeros above 13 and any n above 50 (normal
  approximation with the tie correction), the one-sided-extreme cases 2 / 2^n, and n = 1.
  Differences are passed as d (not x, y), so SciPy ranks exactly the numbers Swift ranks.
- ttest_rel(a, b) with its confidence_interval(0.95) and (0.9).
- friedmanchisquare(*methods) on blocks with and without ties; Iman-Davenport's F from
  the chi-square with SciPy's f.sf; average ranks (rankdata of -x per block: best = 1).
- multipletests(p, method="holm") from statsmodels, with repeated p-values.
- Distribution functions at assorted points: t.sf, t.ppf, chi2.sf, f.sf, norm.sf, and
  studentized_range.ppf(1 - alpha, k, inf) / sqrt(2) for the Nemenyi q (k = 2...20).
- Demšar (2006), Table 5(a) as printed, so the test can check the constants the code holds
  against an independent transcription (q_0.05 and q_0.10 for k = 2...10).
"""

import json
import os

import numpy as np
import scipy
import statsmodels
from scipy import stats
from statsmodels.stats.multitest import multipletests

OUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    "..", "Tests", "ImbalanceStatisticsTests", "Fixtures", "statistics_known_answers.json",
)

DEMSAR_TABLE_5A = {
    "alpha_0.05": [1.960, 2.343, 2.569, 2.728, 2.850, 2.949, 3.031, 3.102, 3.164],
    "alpha_0.10": [1.645, 2.052, 2.291, 2.459, 2.589, 2.693, 2.780, 2.855, 2.920],
}


def wilcoxon_case(name, d):
    d = np.asarray(d, dtype=np.float64)
    r = stats.wilcoxon(d)
    nz = d[d != 0]
    ties = len(np.unique(np.abs(nz))) < len(nz)
    zeros = len(nz) < len(d)
    if len(d) > 50 or ((zeros or ties) and len(d) > 13):
        path = "asymptotic"
    elif zeros or ties:
        path = "permutation"
    else:
        path = "exact"
    return {"name": name, "d": d.tolist(), "statistic": float(r.statistic),
            "pvalue": float(r.pvalue), "path": path}


def ttest_case(name, a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    r = stats.ttest_rel(a, b)
    ci95 = r.confidence_interval(0.95)
    ci90 = r.confidence_interval(0.90)
    return {"name": name, "a": a.tolist(), "b": b.tolist(), "t": float(r.statistic),
            "df": float(r.df), "pvalue": float(r.pvalue),
            "ci95": [float(ci95.low), float(ci95.high)],
            "ci90": [float(ci90.low), float(ci90.high)]}


def friedman_case(name, blocks):
    blocks = np.asarray(blocks, dtype=np.float64)
    n, k = blocks.shape
    r = stats.friedmanchisquare(*[blocks[:, j] for j in range(k)])
    ranks = np.mean([stats.rankdata(-row) for row in blocks], axis=0)
    chi = float(r.statistic)
    denom = n * (k - 1) - chi
    f = (n - 1) * chi / denom if denom > 0 else float("inf")
    fp = float(stats.f.sf(f, k - 1, (k - 1) * (n - 1))) if denom > 0 else 0.0
    return {"name": name, "blocks": blocks.tolist(), "average_ranks": ranks.tolist(),
            "chi_square": chi, "pvalue": float(r.pvalue),
            "iman_davenport_f": (f if denom > 0 else None), "iman_davenport_pvalue": fp}


def main():
    rng = np.random.default_rng(2006)
    wil = []
    wil.append(wilcoxon_case("n6_mixed", rng.normal(0.001, 0.002, 6)))
    wil.append(wilcoxon_case("n6_all_positive", np.abs(rng.normal(0, 1, 6)) + 0.1))
    wil.append(wilcoxon_case("n5_all_negative", -np.abs(rng.normal(0, 1, 5)) - 0.1))
    wil.append(wilcoxon_case("n8_shifted", rng.normal(0.5, 1, 8)))
    wil.append(wilcoxon_case("n10_no_shift", rng.normal(0, 1, 10)))
    wil.append(wilcoxon_case("n20_exact", rng.normal(0.3, 1, 20)))
    wil.append(wilcoxon_case("n50_exact", rng.normal(0.2, 1, 50)))
    wil.append(wilcoxon_case("n1", [0.25]))
    wil.append(wilcoxon_case("n8_two_zeros", np.concatenate([[0.0, 0.0], rng.normal(0.4, 1, 6)])))
    wil.append(wilcoxon_case("n10_ties", np.round(rng.normal(0.5, 1, 10), 1)))
    wil.append(wilcoxon_case("n13_ties_zeros", np.round(rng.normal(0.3, 1, 13), 0)))
    wil.append(wilcoxon_case("n20_ties_asymptotic", np.round(rng.normal(0.3, 1, 20), 1)))
    wil.append(wilcoxon_case("n30_zeros_asymptotic", np.concatenate([[0.0] * 3, rng.normal(-0.3, 1, 27)])))
    wil.append(wilcoxon_case("n60_asymptotic", rng.normal(0.2, 1, 60)))
    wil.append(wilcoxon_case("n80_ties_asymptotic", np.round(rng.normal(0.1, 1, 80), 1)))
    # AUC-sized differences: the scale of the study's comparisons.
    wil.append(wilcoxon_case("n10_auc_scale", rng.normal(2e-4, 3e-4, 10)))

    tt = []
    for name, n, shift, noise in [("n2", 2, 0.01, 0.005), ("n3", 3, 0.0, 1.0), ("n6", 6, 0.001, 0.002),
                                  ("n10", 10, 0.5, 1.0), ("n30", 30, -0.2, 1.0),
                                  ("n6_strong", 6, 40.0, 1.0), ("n10_auc_scale", 10, 2e-4, 3e-4)]:
        b = rng.normal(0.95, 0.01, n)
        a = b + rng.normal(shift, noise, n)
        tt.append(ttest_case(name, a, b))

    fr = []
    fr.append(friedman_case("n9_k5", rng.normal(0, 1, (9, 5)) + np.array([0.5, 0.2, 0, -0.2, -0.5])))
    fr.append(friedman_case("n3_k5", rng.normal(0, 1, (3, 5))))
    fr.append(friedman_case("n6_k3_ties", np.round(rng.normal(0, 1, (6, 3)), 0)))
    fr.append(friedman_case("n4_k4_perfect", np.tile([4.0, 3.0, 2.0, 1.0], (4, 1))))
    fr.append(friedman_case("n14_k4", rng.normal(0, 1, (14, 4)) + np.array([0.3, 0.1, 0, 0])))
    fr.append(friedman_case("n10_k12", rng.normal(0, 1, (10, 12)) + np.linspace(0, 1, 12)))

    holm = []
    for name, p in [("five", [0.01, 0.04, 0.03, 0.005, 0.2]),
                    ("repeated", [0.03125, 0.03125, 0.0625, 0.5, 0.03125, 1.0]),
                    ("one", [0.04]),
                    ("random", rng.uniform(0, 0.2, 12).tolist())]:
        _, adj, _, _ = multipletests(p, method="holm")
        holm.append({"name": name, "p": list(map(float, p)), "adjusted": list(map(float, adj))})

    dist = {
        "t_sf": [{"t": t, "df": df, "value": float(stats.t.sf(t, df))}
                 for t, df in [(0.0, 5), (1.0, 1), (2.5, 3), (-1.7, 4), (12.706, 1), (40.0, 5),
                               (3.0, 29), (0.3, 100), (8.0, 9), (100.0, 2)]],
        "t_ppf": [{"p": p, "df": df, "value": float(stats.t.ppf(p, df))}
                  for p, df in [(0.975, 1), (0.975, 5), (0.95, 9), (0.995, 29), (0.025, 4),
                                (0.999, 2), (0.6, 50)]],
        "chi2_sf": [{"x": x, "df": df, "value": float(stats.chi2.sf(x, df))}
                    for x, df in [(0.5, 1), (3.84, 1), (12.0, 4), (30.0, 4), (7.0, 8),
                                  (100.0, 11), (0.01, 3)]],
        "f_sf": [{"x": x, "d1": d1, "d2": d2, "value": float(stats.f.sf(x, d1, d2))}
                 for x, d1, d2 in [(1.0, 4, 32), (3.5, 4, 8), (0.2, 2, 10), (10.0, 11, 99),
                                   (2.75, 8, 8)]],
        "norm_sf": [{"z": z, "value": float(stats.norm.sf(z))}
                    for z in [0.0, 1.0, 1.959963984540054, 3.0, 6.0, -2.0]],
        "nemenyi_q": {
            "alpha_0.05": {str(k): float(stats.studentized_range.ppf(0.95, k, np.inf) / np.sqrt(2))
                           for k in range(2, 21)},
            "alpha_0.10": {str(k): float(stats.studentized_range.ppf(0.90, k, np.inf) / np.sqrt(2))
                           for k in range(2, 21)},
        },
        "studentized_range_cdf": [{"q": q, "k": k, "value": float(stats.studentized_range.cdf(q, k, np.inf))}
                                  for q, k in [(3.0, 3), (3.858, 5), (1.0, 2), (5.0, 10)]],
    }

    doc = {
        "generator": "scripts/make_statistics_fixtures.py",
        "scipy_version": scipy.__version__,
        "numpy_version": np.__version__,
        "statsmodels_version": statsmodels.__version__,
        "demsar_table": DEMSAR_TABLE_5A,
        "wilcoxon": wil,
        "ttest_rel": tt,
        "friedman": fr,
        "holm": holm,
        "distributions": dist,
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {OUT}: {len(wil)} wilcoxon, {len(tt)} ttest, {len(fr)} friedman, {len(holm)} holm cases; "
          f"scipy {scipy.__version__}")


if __name__ == "__main__":
    main()
