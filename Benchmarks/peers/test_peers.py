#!/usr/bin/env python3
"""Checks of the peer scripts' own definitions, so that a cross-check failure points at the
engine and not at the peer: the AUC against a brute-force pair count, Caffe's SGD against
its formula written out by hand, the schedules against the engine's, the data readers on
valid and malformed files, the preprocessing's defining properties, and the networks' shapes
and initial statistics.

    $IMBENCH_PEERS_VENV/bin/python Benchmarks/peers/test_peers.py
"""

import gzip
import math
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peerlib  # noqa: E402
import train_peer  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def brute_force_auc(scores, labels, positive):
    pos = scores[labels == positive, positive]
    neg = scores[labels != positive, positive]
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


class MetricTests(unittest.TestCase):
    def test_auc_matches_pair_count_with_ties(self):
        rng = np.random.default_rng(0)
        labels = rng.integers(0, 4, 300)
        # Few distinct values, so that ties are common.
        scores = rng.integers(0, 6, (300, 4)).astype(np.float32)
        for k in range(4):
            self.assertAlmostEqual(train_peer.one_vs_rest_auc(scores, labels, k),
                                   brute_force_auc(scores, labels, k), places=12)

    def test_constant_column_is_one_half_and_missing_class_undefined(self):
        labels = np.array([0, 1, 0, 1, 0])
        scores = np.ones((5, 3), dtype=np.float32)
        self.assertEqual(train_peer.one_vs_rest_auc(scores, labels, 0), 0.5)
        mean, per_class = train_peer.multiclass_auc(scores, labels)
        self.assertIsNone(per_class[2])
        self.assertEqual(mean, 0.5)

    def test_perfect_ranking(self):
        labels = np.array([0, 1, 2, 0, 1, 2])
        scores = np.eye(3, dtype=np.float32)[labels]
        mean, _ = train_peer.multiclass_auc(scores, labels)
        self.assertEqual(mean, 1.0)


class SolverTests(unittest.TestCase):
    def test_caffe_sgd_matches_the_formula_across_a_rate_change(self):
        w = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
        b = torch.nn.Parameter(torch.tensor([0.5]))
        sgd = peerlib.CaffeSGD([(w, 1.0, 1.0), (b, 2.0, 0.0)], momentum=0.9, weight_decay=0.1)
        vw, vb = np.zeros(2), np.zeros(1)
        ew, eb = np.array([1.0, -2.0]), np.array([0.5])
        for lr, gw, gb in [(0.1, [0.3, -0.2], [1.0]), (0.01, [0.1, 0.4], [-0.5])]:
            sgd.zero_grad()
            w.grad, b.grad = torch.tensor(gw), torch.tensor(gb)
            sgd.step(lr)
            vw = 0.9 * vw + lr * 1.0 * (np.array(gw) + 0.1 * ew)
            vb = 0.9 * vb + lr * 2.0 * (np.array(gb) + 0.0 * eb)
            ew, eb = ew - vw, eb - vb
            np.testing.assert_allclose(w.detach().numpy(), ew, rtol=1e-6)
            np.testing.assert_allclose(b.detach().numpy(), eb, rtol=1e-6)


class PolicyTests(unittest.TestCase):
    def test_rates(self):
        inv = peerlib.default_policy("lenet5", "inv", 10_000)
        self.assertAlmostEqual(inv.rate(0.01, 0), 0.01)
        self.assertAlmostEqual(inv.rate(0.01, 10_000), 0.01 * 2 ** -0.75)
        ms = peerlib.default_policy("allcnn", "multistep", 700)
        self.assertEqual(ms.milestones, [400, 500, 600])
        self.assertAlmostEqual(ms.rate(1.0, 399), 1.0)
        self.assertAlmostEqual(ms.rate(1.0, 400), 0.1)
        self.assertAlmostEqual(ms.rate(1.0, 650), 0.001)
        poly = peerlib.default_policy("resnet10", "poly", 100)
        self.assertAlmostEqual(poly.rate(0.1, 0), 0.1)
        self.assertAlmostEqual(poly.rate(0.1, 50), 0.05)
        self.assertAlmostEqual(poly.rate(0.1, 99), 0.001)

    def test_parse_engine_descriptions(self):
        for text in ["inv(gamma=0.0001,power=0.75)", "multistep(400,500,600,gamma=0.1)",
                     "poly(max=320000,power=1.0)", "fixed"]:
            self.assertEqual(peerlib.LearningRatePolicy.parse(text).describe(), text)
        keyword = peerlib.LearningRatePolicy.parse("multistep(gamma: 0.1, steps: [40, 50])")
        self.assertEqual((keyword.milestones, keyword.gamma), ([40, 50], 0.1))
        with self.assertRaises(ValueError):
            peerlib.LearningRatePolicy.parse("inv(gamma=0.1)")
        with self.assertRaises(ValueError):
            peerlib.LearningRatePolicy.parse("cosine(max=10)")


class ReaderTests(unittest.TestCase):
    def test_idx_roundtrip_gzip_and_errors(self):
        with tempfile.TemporaryDirectory() as d:
            data = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
            raw = bytes([0, 0, 8, 3]) + (2).to_bytes(4, "big") + (3).to_bytes(4, "big") \
                + (4).to_bytes(4, "big") + data.tobytes()
            path = os.path.join(d, "x.gz")
            with open(path, "wb") as f:
                f.write(gzip.compress(raw))
            np.testing.assert_array_equal(train_peer.read_idx(path, 3), data)
            with open(path, "wb") as f:
                f.write(raw[:-1])
            with self.assertRaisesRegex(train_peer.DataError, "x.gz: header says"):
                train_peer.read_idx(path, 3)

    def test_cifar_records_and_errors(self):
        with tempfile.TemporaryDirectory() as d:
            rec = np.zeros((3, train_peer.CIFAR_RECORD), dtype=np.uint8)
            rec[:, 0] = [2, 0, 9]
            rec[1, 1] = 7                    # red plane, first pixel of image 1
            rec[1, 1 + 2048] = 9             # blue plane, first pixel of image 1
            for name in ("data_batch_1.bin", "test_batch.bin.gz"):
                blob = rec.tobytes()
                with open(os.path.join(d, name), "wb") as f:
                    f.write(gzip.compress(blob) if name.endswith(".gz") else blob)
            xtr, ytr, xte, yte, k = train_peer.load_cifar10(d)
            self.assertEqual((xtr.shape, k), ((3, 3, 32, 32), 10))
            self.assertEqual(ytr.tolist(), [2, 0, 9])
            self.assertEqual((xtr[1, 0, 0, 0], xtr[1, 2, 0, 0]), (7, 9))
            with open(os.path.join(d, "data_batch_1.bin"), "ab") as f:
                f.write(b"\0")
            with self.assertRaisesRegex(train_peer.DataError, "data_batch_1.bin: .* not a whole number"):
                train_peer.load_cifar10(d)
            rec[2, 0] = 10
            with open(os.path.join(d, "data_batch_1.bin"), "wb") as f:
                f.write(rec.tobytes())
            with self.assertRaisesRegex(train_peer.DataError, "record 2 has label 10"):
                train_peer.load_cifar10(d)

    def test_class_weights_are_balanced_and_averaged_by_their_sum(self):
        w = train_peer.balanced_class_weights([50, 5000, 50, 5000])
        np.testing.assert_allclose(w, [50.5, 0.505, 50.5, 0.505], rtol=1e-6)
        logits = torch.tensor([[2.0, 0.5, -1.0, 0.0], [0.1, 0.2, 0.3, 0.4], [1.0, -2.0, 0.5, 0.0]])
        labels = torch.tensor([0, 1, 3])
        per = F.cross_entropy(logits, labels, reduction="none")
        wt = torch.from_numpy(w)[labels]
        expected = (wt * per).sum() / wt.sum()
        self.assertAlmostEqual(F.cross_entropy(logits, labels, weight=torch.from_numpy(w)).item(), expected.item(), places=6)

    def test_first_per_class_keeps_file_order(self):
        labels = np.array([1, 0, 1, 1, 0, 2])
        self.assertEqual(train_peer.first_per_class(labels, 2, 3).tolist(), [0, 1, 2, 4, 5])
        self.assertEqual(train_peer.first_per_class(labels, None, 3).tolist(), list(range(6)))


class PreprocessingTests(unittest.TestCase):
    def test_gcn_zca_whitens_the_training_set(self):
        rng = np.random.default_rng(1)
        xtr = rng.integers(0, 256, (400, 3, 4, 4)).astype(np.uint8)
        xte = rng.integers(0, 256, (10, 3, 4, 4)).astype(np.uint8)
        a, b = train_peer.preprocess("gcn-zca", xtr, xte)
        self.assertEqual((a.shape, b.shape, a.dtype), (xtr.shape, xte.shape, np.float32))
        flat = a.reshape(400, -1).astype(np.float64)
        np.testing.assert_allclose(flat.mean(axis=0), 0, atol=1e-4)
        # Whitened with a 0.1 bias: covariance = C (C + 0.1 I)^-1, so eigenvalues l/(l+0.1).
        g = train_peer.gcn(xtr.reshape(400, -1).astype(np.float64))
        g -= g.mean(axis=0)
        lam = np.linalg.eigvalsh(g.T @ g / 400)
        got = np.linalg.eigvalsh(flat.T @ flat / 400)
        np.testing.assert_allclose(np.sort(got), np.sort(lam / (lam + 0.1)), atol=1e-4)

    def test_gcn_norm_is_55(self):
        x = np.random.default_rng(2).random((5, 48)) * 255
        np.testing.assert_allclose(np.linalg.norm(train_peer.gcn(x), axis=1), 55.0)
        self.assertTrue(np.all(train_peer.gcn(np.full((1, 48), 3.0)) == 0))

    def test_standardize(self):
        rng = np.random.default_rng(3)
        xtr = rng.integers(0, 256, (50, 3, 8, 8)).astype(np.uint8)
        a, _ = train_peer.preprocess("standardize", xtr, xtr[:2])
        np.testing.assert_allclose(a.mean(axis=(0, 2, 3)), 0, atol=1e-5)
        np.testing.assert_allclose(a.std(axis=(0, 2, 3)), 1, atol=1e-5)

    def test_crop_mirror_is_a_shifted_possibly_mirrored_copy(self):
        x = torch.arange(2 * 1 * 6 * 6, dtype=torch.float32).reshape(2, 1, 6, 6) + 1
        out = train_peer.crop_mirror(x, torch.Generator().manual_seed(0), pad=2)
        for i in range(2):
            padded = torch.nn.functional.pad(x[i], (2, 2, 2, 2))
            crops = [padded[:, dy:dy + 6, dx:dx + 6] for dy in range(5) for dx in range(5)]
            self.assertTrue(any(torch.equal(out[i], c) or torch.equal(out[i], c.flip(-1)) for c in crops))


class ModelTests(unittest.TestCase):
    def test_shapes_multipliers_and_init(self):
        for name, c, s, count in [("lenet5", 1, 28, 431_080), ("allcnn", 3, 32, 1_369_738),
                                  ("resnet10", 3, 32, 4_903_242)]:
            model, entries = peerlib.build_model(name, 10, c, s, seed=1)
            model.eval()
            self.assertEqual(tuple(model(torch.zeros(2, c, s, s)).shape), (2, 10))
            self.assertEqual(sum(p.numel() for p in model.parameters()), count, name)
            for p, lr_mult, decay_mult in entries:
                if p.dim() == 1 and name == "resnet10" and decay_mult == 0:
                    continue   # BN gamma/beta
                if p.dim() == 1:
                    self.assertEqual(float(p.detach().abs().max()), 0.0)
                    self.assertEqual(lr_mult, 2.0 if name == "lenet5" else 1.0)
        _, entries = peerlib.build_model("allcnn", 10, 3, 32, seed=1)
        w = entries[0][0]                      # conv1: fan_in 27, U(-1/3, 1/3)
        self.assertLessEqual(float(w.detach().abs().max()), math.sqrt(3 / 27))
        self.assertAlmostEqual(float(w.detach().var()), 1 / 27, delta=0.2 / 27)
        _, entries = peerlib.build_model("resnet10", 10, 3, 32, seed=1)
        big = max((p for p, _, _ in entries if p.dim() == 4), key=lambda p: p.numel())
        self.assertAlmostEqual(float(big.detach().std()), math.sqrt(2 / big[0].numel()), delta=0.01 * math.sqrt(2 / big[0].numel()))
        bn = [(lr, d) for p, lr, d in entries if p.dim() == 1]
        self.assertTrue(bn and all(d == 0 for _, d in bn[:-1]))   # the last is the FC bias
        self.assertEqual(bn[-1][1], 1.0)


if __name__ == "__main__":
    unittest.main()
