#!/usr/bin/env python3
"""Writes the known-answer fixture for the losses of ImbalanceNN (and its cosine classifier).

The Swift tests never call Python: this script was run once and its output,
Tests/ImbalanceNNTests/Fixtures/loss_known_answers.json, is committed. Each case holds the
inputs and PyTorch's loss and gradient (autograd, float64), so the Swift losses are checked
against an independent implementation of each published definition, not against themselves.

Requirements: torch and numpy (Benchmarks/peers/setup.sh makes a venv with both). Rerun with

    ~/.cache/imbench/peers-venv/bin/python scripts/make_loss_fixtures.py

and commit the JSON together with any change here.

The definitions, as the reference code of each paper writes them:
- cross-entropy: F.cross_entropy; class-weighted: F.cross_entropy(weight=w) with
  scikit-learn's "balanced" weights n / (K n_j) (PyTorch's weighted mean, divided by the sum
  of the batch's weights: the suite's class-weighted baseline).
- focal (Lin et al. 2017), softmax form: mean of -(1 - p_y)^gamma log p_y.
- class-balanced (Cui et al. 2019): w_j = (1 - beta) / (1 - beta^n_j), scaled to sum K;
  softmax cross-entropy and focal weighted by w_y, divided by the batch size (their code's
  TensorFlow reduction with one weight per sample).
- LDAM (Cao et al. 2019), from their losses.py: m = 1/n^(1/4) scaled so max m = 0.5,
  output = where(one_hot, x - m_y, x), F.cross_entropy(s * output, target, weight=w) with
  s = 30; w = None (before DRW) or the class-balanced weights with beta = 0.9999 (after).
- logit-adjusted loss (Menon et al. 2021): F.cross_entropy(z + tau * log(pi)).
- balanced softmax (Ren et al. 2020): F.cross_entropy(z + log(n)).
- cosine classifier (LDAM-DRW's NormedLinear): F.normalize(x, dim=1) @ F.normalize(W, dim=0),
  with the gradients of sum(out * r) for a fixed r.

Logits are multiples of 1/64 in [-4, 4] (exact in float32, so both sides see the same
numbers); one row is confident (a logit gap of 12) so the focal factor is exercised near
p_y = 1.
"""

import json
import os

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "ImbalanceNNTests", "Fixtures",
                   "loss_known_answers.json")

rng = np.random.default_rng(19)
N, K = 8, 5
COUNTS = [500, 120, 40, 12, 3]
logits = rng.integers(-256, 257, size=(N, K)) / 64.0
labels = np.array([0, 1, 2, 3, 4, 0, 3, 4])
logits[5] = [6.0, -3.0, -2.5, -4.0, -6.0]   # confident and right: p_y within 1e-5 of 1


def cb_weights(beta):
    n = np.array(COUNTS, dtype=np.float64)
    w = (1.0 - beta) / (1.0 - np.power(beta, n))
    return w / w.sum() * len(COUNTS)


def focal_terms(z, y, gamma):
    logp = F.log_softmax(z, dim=1).gather(1, y.view(-1, 1)).squeeze(1)
    p = logp.exp()
    return (1 - p) ** gamma * (-logp)


def ldam_output(z, y, max_m=0.5, s=30.0):
    m = 1.0 / np.sqrt(np.sqrt(np.array(COUNTS, dtype=np.float64)))
    m = m * (max_m / np.max(m))
    m = torch.tensor(m)
    index = F.one_hot(y, K).bool()
    batch_m = m[y].view(-1, 1)
    return s * torch.where(index, z - batch_m, z)


def case(name, fn, params):
    z = torch.tensor(logits, requires_grad=True)
    y = torch.tensor(labels)
    loss = fn(z, y)
    loss.backward()
    return {"name": name, "parameters": params, "loss": float(loss.item()),
            "gradient": z.grad.numpy().reshape(-1).tolist()}


prior = np.array(COUNTS, dtype=np.float64) / sum(COUNTS)
balanced = torch.tensor(sum(COUNTS) / (K * np.array(COUNTS, dtype=np.float64)))
cases = [
    case("cross-entropy", lambda z, y: F.cross_entropy(z, y), {}),
    case("class-weighted", lambda z, y: F.cross_entropy(z, y, weight=balanced), {}),
]
for g in [0.0, 0.5, 1.0, 2.0]:
    cases.append(case("focal", lambda z, y, g=g: focal_terms(z, y, g).mean(), {"gamma": g}))
for beta in [0.9, 0.9999]:
    w = torch.tensor(cb_weights(beta))
    cases.append(case("class-balanced", lambda z, y, w=w: (w[y] * F.cross_entropy(z, y, reduction="none")).sum() / N,
                      {"beta": beta}))
for beta, g in [(0.9999, 1.0), (0.999, 2.0)]:
    w = torch.tensor(cb_weights(beta))
    cases.append(case("class-balanced-focal", lambda z, y, w=w, g=g: (w[y] * focal_terms(z, y, g)).sum() / N,
                      {"beta": beta, "gamma": g}))
cases.append(case("LDAM", lambda z, y: F.cross_entropy(ldam_output(z, y), y), {"maxMargin": 0.5, "scale": 30.0}))
cases.append(case("LDAM", lambda z, y: F.cross_entropy(ldam_output(z, y, 0.3, 10.0), y), {"maxMargin": 0.3, "scale": 10.0}))
w = torch.tensor(cb_weights(0.9999))
cases.append(case("LDAM-reweighted", lambda z, y: F.cross_entropy(ldam_output(z, y), y, weight=w),
                  {"maxMargin": 0.5, "scale": 30.0, "beta": 0.9999}))
for tau in [1.0, 0.5]:
    off = torch.tensor(tau * np.log(prior))
    cases.append(case("logit-adjusted", lambda z, y, off=off: F.cross_entropy(z + off, y), {"tau": tau}))
logn = torch.tensor(np.log(np.array(COUNTS, dtype=np.float64)))
cases.append(case("balanced-softmax", lambda z, y: F.cross_entropy(z + logn, y), {}))

# Cosine classifier: x (N, D), weights stored (K, D) in the suite, (D, K) in the reference.
D = 6
x = rng.integers(-128, 129, size=(N, D)) / 64.0
wt = rng.integers(-128, 129, size=(K, D)) / 64.0
r = rng.integers(-64, 65, size=(N, K)) / 64.0
xt = torch.tensor(x, requires_grad=True)
wtt = torch.tensor(wt, requires_grad=True)
out = F.normalize(xt, dim=1).mm(F.normalize(wtt.t(), dim=0))
(out * torch.tensor(r)).sum().backward()
cosine = {"inputs": x.reshape(-1).tolist(), "weights": wt.reshape(-1).tolist(), "upstream": r.reshape(-1).tolist(),
          "features": D, "output": out.detach().numpy().reshape(-1).tolist(),
          "inputGradient": xt.grad.numpy().reshape(-1).tolist(),
          "weightGradient": wtt.grad.numpy().reshape(-1).tolist()}

fixture = {
    "generator": "scripts/make_loss_fixtures.py",
    "torch": torch.__version__, "numpy": np.__version__,
    "batch": N, "classes": K, "classCounts": COUNTS,
    "logits": logits.reshape(-1).tolist(), "labels": labels.tolist(),
    "cases": cases, "cosineClassifier": cosine,
}
os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w") as f:
    json.dump(fixture, f, indent=1, sort_keys=True)
    f.write("\n")
print("wrote", os.path.normpath(OUT), len(cases), "loss cases")
