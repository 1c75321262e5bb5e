#!/usr/bin/env python3
"""Trains one network in PyTorch (CPU) with the ImbalanceBench engine's recipe and prints
test accuracy, multi-class ROC AUC, wall time and training images/s.

It exists so that `imbench train` can be checked against an independent implementation:
same network, initialisation, data, preprocessing, augmentation, solver, schedule and
batch size (README.md in this folder lists each definition and the Swift file it mirrors).
It reads the data files itself, so it shares no code with the engine it checks.

    train_peer.py --dataset mnist --data-dir ../shared/datasets/mnist --model lenet5 \\
        --iterations 1000 --json peer.json
"""

import argparse
import collections
import gzip
import json
import os
import struct
import sys
import tarfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peerlib  # noqa: E402  (caps the BLAS/OpenMP pools before numpy and torch load)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402


class DataError(Exception):
    """A data file that is missing or malformed; the message names the file."""


# ---------------------------------------------------------------------------------------
# Readers


def _open_bytes(path):
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError) as e:
            raise DataError(f"{path}: not a valid gzip stream ({e})") from None
    return raw


def _find(directory, names):
    for name in names:
        for candidate in (name, name + ".gz"):
            path = os.path.join(directory, candidate)
            if os.path.isfile(path):
                return path
    return None


def read_idx(path, expected_dims):
    """An IDX file (LeCun's MNIST format, raw or gzip) as a uint8 array."""
    raw = _open_bytes(path)
    if len(raw) < 4:
        raise DataError(f"{path}: {len(raw)} bytes, too short for an IDX header")
    zero, dtype, dims = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype != 0x08:
        raise DataError(f"{path}: not an unsigned-byte IDX file (magic {raw[:4].hex()})")
    if dims != expected_dims:
        raise DataError(f"{path}: {dims} dimensions, expected {expected_dims}")
    header = 4 + 4 * dims
    if len(raw) < header:
        raise DataError(f"{path}: truncated header")
    shape = struct.unpack(">" + "I" * dims, raw[4:header])
    count = int(np.prod(shape))
    if len(raw) - header != count:
        raise DataError(f"{path}: header says {shape} ({count} bytes of data), file holds {len(raw) - header}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def load_mnist(directory):
    """(train images (N,1,28,28) uint8, train labels, test images, test labels)."""
    def pair(prefix):
        ipath = _find(directory, [f"{prefix}-images-idx3-ubyte", f"{prefix}-images.idx3-ubyte"])
        lpath = _find(directory, [f"{prefix}-labels-idx1-ubyte", f"{prefix}-labels.idx1-ubyte"])
        if ipath is None or lpath is None:
            raise DataError(f"{directory}: no {prefix}-images-idx3-ubyte / {prefix}-labels-idx1-ubyte "
                            "(raw or .gz)")
        images, labels = read_idx(ipath, 3), read_idx(lpath, 1)
        if images.shape[0] != labels.shape[0]:
            raise DataError(f"{ipath}: {images.shape[0]} images but {lpath} has {labels.shape[0]} labels")
        if labels.max(initial=0) > 9:
            raise DataError(f"{lpath}: label {labels.max()} out of range 0..9")
        return images[:, None, :, :], labels.astype(np.int64)

    xtr, ytr = pair("train")
    xte, yte = pair("t10k")
    return xtr, ytr, xte, yte, 10


CIFAR_RECORD = 1 + 3 * 32 * 32


def _cifar_records(raw, where):
    if len(raw) == 0 or len(raw) % CIFAR_RECORD != 0:
        raise DataError(f"{where}: {len(raw)} bytes is not a whole number of {CIFAR_RECORD}-byte CIFAR-10 records")
    records = np.frombuffer(raw, dtype=np.uint8).reshape(-1, CIFAR_RECORD)
    labels = records[:, 0].astype(np.int64)
    if labels.max() > 9:
        bad = int(np.argmax(labels > 9))
        raise DataError(f"{where}: record {bad} has label {labels[bad]}, out of range 0..9")
    # 1,024 red bytes, then green, then blue: already (C, H, W) order.
    return records[:, 1:].reshape(-1, 3, 32, 32), labels


def load_cifar10(directory):
    """CIFAR-10 binary batches: data_batch_1..5.bin whichever exist (raw or .gz) and
    test_batch.bin, or the official cifar-10-binary.tar.gz archive in `directory`."""
    train_parts, test = [], None
    for i in range(1, 6):
        path = _find(directory, [f"data_batch_{i}.bin"])
        if path:
            train_parts.append((path, _open_bytes(path)))
    path = _find(directory, ["test_batch.bin"])
    if path:
        test = (path, _open_bytes(path))
    archive = os.path.join(directory, "cifar-10-binary.tar.gz")
    if not train_parts and test is None and os.path.isfile(archive):
        try:
            with tarfile.open(archive, "r:gz") as tar:
                for member in tar.getmembers():
                    base = os.path.basename(member.name)
                    if base.startswith("data_batch_") and base.endswith(".bin"):
                        train_parts.append((f"{archive}:{member.name}", tar.extractfile(member).read()))
                    elif base == "test_batch.bin":
                        test = (f"{archive}:{member.name}", tar.extractfile(member).read())
        except (tarfile.TarError, OSError, EOFError) as e:
            raise DataError(f"{archive}: unreadable archive ({e})") from None
        train_parts.sort()
    if not train_parts:
        raise DataError(f"{directory}: no data_batch_N.bin (raw or .gz) and no cifar-10-binary.tar.gz")
    if test is None:
        raise DataError(f"{directory}: no test_batch.bin (raw or .gz)")
    xs, ys = zip(*(_cifar_records(raw, where) for where, raw in train_parts))
    xte, yte = _cifar_records(test[1], test[0])
    return np.concatenate(xs), np.concatenate(ys), xte, yte, 10


def first_per_class(labels, cap, classes):
    """Indices of the first `cap` images of each class, in file order (None: all)."""
    if cap is None:
        return np.arange(len(labels))
    keep = np.zeros(len(labels), dtype=bool)
    for c in range(classes):
        keep[np.flatnonzero(labels == c)[:cap]] = True
    return np.flatnonzero(keep)


# ---------------------------------------------------------------------------------------
# Preprocessing (Sources/ImbalancePreprocessing/Preprocessing.swift)


def gcn(x):
    """pylearn2's global_contrast_normalize(scale=55): each image minus its mean, then
    divided by (its L2 norm / 55); a divisor below 1e-8 becomes 1. float64 in and out."""
    x = x - x.mean(axis=1, keepdims=True)
    divisor = np.sqrt((x * x).sum(axis=1)) / 55.0
    divisor[divisor < 1e-8] = 1.0
    return x / divisor[:, None]


def preprocess(kind, xtr, xte):
    """float32 network inputs for the training and test images; statistics from the
    training images only."""
    if kind == "scale":
        return (xtr.astype(np.float32) * np.float32(0.00390625),
                xte.astype(np.float32) * np.float32(0.00390625))
    if kind == "standardize":
        tr = xtr.astype(np.float64) / 255.0
        mean = tr.mean(axis=(0, 2, 3))
        std = np.sqrt(np.maximum((tr * tr).mean(axis=(0, 2, 3)) - mean * mean, 0.0))
        std[std <= 1e-12] = 1.0

        def apply(x):
            return ((x.astype(np.float64) / 255.0 - mean[None, :, None, None])
                    / std[None, :, None, None]).astype(np.float32)
        return apply(xtr), apply(xte)
    if kind == "gcn-zca":
        shape_tr, shape_te = xtr.shape, xte.shape
        a = gcn(xtr.reshape(len(xtr), -1).astype(np.float64))
        b = gcn(xte.reshape(len(xte), -1).astype(np.float64))
        if a.shape[1] > 4096:
            raise ValueError(f"ZCA on {a.shape[1]}-value images would need a {a.shape[1]}^2 matrix")
        # pylearn2's ZCA(filter_bias=0.1): C = (X - m)^T (X - m) / n + 0.1 I = V diag(l) V^T,
        # P = V diag(1/sqrt(l)) V^T, x' = (x - m) P.
        m = a.mean(axis=0)
        a -= m
        b -= m
        cov = a.T @ a / len(a)
        cov[np.diag_indices_from(cov)] += 0.1
        eig, vec = np.linalg.eigh(cov)
        if eig[0] <= 0:
            raise ValueError(f"the ZCA covariance is not positive definite (smallest eigenvalue {eig[0]})")
        p = (vec / np.sqrt(eig)) @ vec.T
        return ((a @ p).astype(np.float32).reshape(shape_tr),
                (b @ p).astype(np.float32).reshape(shape_te))
    raise ValueError(f"unknown preprocessing '{kind}'")


def crop_mirror(batch, gen, pad=4):
    """Per image: zero-pad `pad` pixels on each side, take a random crop of the original
    size, mirror it horizontally with probability 1/2 (He et al.'s CIFAR recipe)."""
    n, _, h, w = batch.shape
    padded = F.pad(batch, (pad, pad, pad, pad))
    offsets = torch.randint(0, 2 * pad + 1, (n, 2), generator=gen).tolist()
    flips = torch.randint(0, 2, (n,), generator=gen).tolist()
    out = torch.empty_like(batch)
    for i, ((dy, dx), flip) in enumerate(zip(offsets, flips)):
        crop = padded[i, :, dy:dy + h, dx:dx + w]
        out[i] = crop.flip(-1) if flip else crop
    return out


# ---------------------------------------------------------------------------------------
# Metrics (Sources/ImbalanceMetrics/ROCAUC.swift)


def average_ranks(values):
    """1-based ranks, ties sharing the mean of their ranks (Mann-Whitney)."""
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], len(values)]
    group_rank = (starts + 1 + ends) / 2.0          # mean of ranks starts+1 .. ends
    ranks = np.empty(len(values), dtype=np.float64)
    ranks[order] = np.repeat(group_rank, ends - starts)
    return ranks


def one_vs_rest_auc(scores, labels, positive):
    """AUC of column `positive` for "label == positive", ties counting one half; None when
    the labels hold no positive or no negative."""
    pos = labels == positive
    n_pos = int(pos.sum())
    n_neg = len(labels) - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    ranks = average_ranks(scores[:, positive].astype(np.float64))
    return (ranks[pos].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)


def multiclass_auc(scores, labels):
    """Mean of the defined one-vs-rest AUCs, and the per-class list."""
    per_class = [one_vs_rest_auc(scores, labels, k) for k in range(scores.shape[1])]
    defined = [a for a in per_class if a is not None]
    return (float(np.mean(defined)) if defined else None), per_class


# ---------------------------------------------------------------------------------------


def balanced_class_weights(counts):
    """scikit-learn's class_weight="balanced", n / (K n_j), as float32 (the engine's
    ClassWeighted method); with F.cross_entropy(weight=...) the batch's loss is
    sum_i w_{y_i} l_i / sum_i w_{y_i}."""
    counts = np.asarray(counts, dtype=np.float64)
    return (counts.sum() / (len(counts) * counts)).astype(np.float32)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", choices=["mnist", "cifar10"], default=None,
                    help="default: mnist for lenet5, cifar10 otherwise")
    ap.add_argument("--data-dir", required=True,
                    help="directory with the MNIST IDX files or the CIFAR-10 binary batches")
    ap.add_argument("--model", choices=peerlib.MODELS, default="lenet5")
    ap.add_argument("--iterations", type=int, default=10_000)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", "--learning-rate", dest="lr", type=float, default=None,
                    help="base learning rate (default: the model's: lenet5 0.01, allcnn 0.01, resnet10 0.1)")
    ap.add_argument("--momentum", type=float, default=None, help="default: the model's (0.9)")
    ap.add_argument("--weight-decay", type=float, default=None,
                    help="default: the model's (lenet5 5e-4, allcnn 1e-3, resnet10 1e-4)")
    ap.add_argument("--policy", default=None,
                    help="fixed, inv, multistep or poly with the model's parameters, or an engine "
                         "description such as 'multistep(400,500,600,gamma=0.1)' "
                         "(default: lenet5 inv, allcnn multistep, resnet10 poly)")
    ap.add_argument("--steps", default=None,
                    help="multistep milestones, comma-separated (default: iterations x 4/7, 5/7, 6/7)")
    ap.add_argument("--threads", type=int, default=1, help="PyTorch intra-op threads (inter-op: 1)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--preprocess", choices=["scale", "gcn-zca", "standardize"], default=None,
                    help="default: the model's (lenet5 scale, allcnn gcn-zca, resnet10 standardize)")
    ap.add_argument("--augment", choices=["none", "crop-mirror"], default=None,
                    help="default: the model's (resnet10 crop-mirror, others none)")
    ap.add_argument("--max-per-class", default="5000",
                    help="keep the first N training images of each class in file order, or 'all'")
    ap.add_argument("--train-npz", metavar="FILE", default=None,
                    help="train on the exact training list `imbench resample` wrote (arrays x, y, "
                         "class_counts) instead of the first --max-per-class images of each class; "
                         "the test set still comes from --data-dir")
    ap.add_argument("--loss", choices=["ce", "class-weighted"], default="ce",
                    help="ce: cross-entropy; class-weighted: cross-entropy with scikit-learn's "
                         "'balanced' weights n / (K n_j) over the training list's classes, averaged "
                         "by the batch's summed weights (PyTorch's weighted mean, as the engine's "
                         "class-weighted method)")
    ap.add_argument("--eval-batch", type=int, default=1000, help="test batch size")
    ap.add_argument("--progress", type=int, default=100,
                    help="progress line every N iterations (0: none)")
    ap.add_argument("--json", metavar="OUT", help="write the results as JSON here")
    args = ap.parse_args(argv)
    defaults = peerlib.MODEL_DEFAULTS[args.model]
    args.dataset = args.dataset or ("mnist" if args.model == "lenet5" else "cifar10")
    for key in ("lr", "momentum", "weight_decay", "preprocess", "augment"):
        if getattr(args, key) is None:
            setattr(args, key, defaults[key])
    if args.iterations <= 0 or args.batch <= 0 or args.threads <= 0:
        ap.error("--iterations, --batch and --threads must be positive")
    if args.max_per_class.lower() == "all":
        args.cap = None
    else:
        try:
            args.cap = int(args.max_per_class)
        except ValueError:
            args.cap = 0
        if args.cap <= 0:
            ap.error(f"--max-per-class: expected a positive integer or 'all', got '{args.max_per_class}'")
    steps = None
    if args.steps:
        try:
            steps = sorted(int(s) for s in args.steps.split(",") if s.strip())
        except ValueError:
            ap.error(f"--steps: expected comma-separated integers, got '{args.steps}'")
    policy = args.policy or defaults["policy"]
    try:
        if "(" in policy:
            args.schedule = peerlib.LearningRatePolicy.parse(policy)
            if steps is not None and args.schedule.kind == "multistep":
                args.schedule.milestones = steps
        else:
            args.schedule = peerlib.default_policy(args.model, policy, args.iterations, steps)
    except ValueError as e:
        ap.error(f"--policy: {e}")
    return args


def main(argv=None):
    args = parse_args(argv)
    peerlib.configure_threads(args.threads)
    torch.manual_seed(args.seed)
    wall_start = time.perf_counter()

    load = load_mnist if args.dataset == "mnist" else load_cifar10
    try:
        xtr, ytr, xte, yte, classes = load(args.data_dir)
    except (DataError, OSError) as e:
        sys.exit(f"train_peer.py: {e}")
    if args.train_npz:
        try:
            with np.load(args.train_npz) as z:
                xtr, ytr = z["x"], z["y"].astype(np.int64)
                weight_counts = z["class_counts"].astype(np.float64)
        except (OSError, KeyError, ValueError) as e:
            sys.exit(f"train_peer.py: --train-npz {args.train_npz}: {e}")
        if xtr.dtype != np.uint8 or xtr.ndim != 4 or xtr.shape[1:] != xte.shape[1:] or len(xtr) != len(ytr):
            sys.exit(f"train_peer.py: --train-npz {args.train_npz}: x {xtr.dtype} {xtr.shape} does not match "
                     f"the test images {xte.shape[1:]} of {args.data_dir} (or y has another length)")
    else:
        keep = first_per_class(ytr, args.cap, classes)
        xtr, ytr = xtr[keep], ytr[keep]
        weight_counts = np.bincount(ytr, minlength=classes).astype(np.float64)
    counts = np.bincount(ytr, minlength=classes)
    class_weights = None
    if args.loss == "class-weighted":
        if (weight_counts <= 0).any():
            sys.exit("train_peer.py: --loss class-weighted: a class has no training image")
        class_weights = torch.from_numpy(balanced_class_weights(weight_counts))
    log(f"{args.dataset} from {args.data_dir}: {len(ytr)} training images "
        f"(per class {' '.join(map(str, counts))}), {len(yte)} test images")

    t0 = time.perf_counter()
    ftr, fte = preprocess(args.preprocess, xtr, xte)
    preprocess_seconds = time.perf_counter() - t0
    log(f"preprocessing {args.preprocess}: {preprocess_seconds:.1f} s")

    channels, size = ftr.shape[1], ftr.shape[2]
    model, entries = peerlib.build_model(args.model, classes, channels, size, args.seed)
    solver = peerlib.CaffeSGD(entries, args.momentum, args.weight_decay)
    train_x, train_y = torch.from_numpy(ftr), torch.from_numpy(ytr)
    test_x = torch.from_numpy(fte)
    aug_gen = torch.Generator().manual_seed(args.seed + 1)
    order_rng = np.random.default_rng(args.seed + 2)

    # Caffe's cursor: epochs are fresh permutations and a batch runs on into the next one.
    n = len(train_y)
    order, cursor = order_rng.permutation(n), 0
    index = np.empty(args.batch, dtype=np.int64)
    recent = collections.deque(maxlen=100)   # the loss the progress line averages
    diverged = None
    model.train()
    t0 = time.perf_counter()
    it = 0
    for it in range(args.iterations):
        for b in range(args.batch):
            if cursor == n:
                order, cursor = order_rng.permutation(n), 0
            index[b] = order[cursor]
            cursor += 1
        idx = torch.from_numpy(index)
        xb = train_x.index_select(0, idx)
        if args.augment == "crop-mirror":
            xb = crop_mirror(xb, aug_gen)
        yb = train_y.index_select(0, idx)
        loss = F.cross_entropy(model(xb), yb, weight=class_weights)
        value = loss.item()
        if not np.isfinite(value):
            diverged = f"loss is {value} at iteration {it}"
            break
        solver.zero_grad()
        loss.backward()
        rate = args.schedule.rate(args.lr, it)
        solver.step(rate)
        recent.append(value)
        done = it + 1
        if args.progress and (done % args.progress == 0 or done == args.iterations):
            elapsed = time.perf_counter() - t0
            log(f"  iteration {done}/{args.iterations}  loss {np.mean(recent):.4f}  lr {rate:.3g}  "
                f"{done * args.batch / elapsed:.0f} images/s  ETA {elapsed / done * (args.iterations - done):.0f} s")
    iterations_run = it + 1 if diverged is None else it
    train_seconds = time.perf_counter() - t0

    accuracy = auc = per_class = None
    if diverged is None:
        model.eval()
        probs = []
        with torch.no_grad():
            for start in range(0, len(test_x), args.eval_batch):
                probs.append(F.softmax(model(test_x[start:start + args.eval_batch]), dim=1).numpy())
        scores = np.concatenate(probs)
        accuracy = float((scores.argmax(axis=1) == yte).mean())
        auc, per_class = multiclass_auc(scores, yte)
    wall_seconds = time.perf_counter() - wall_start
    images_per_second = iterations_run * args.batch / max(train_seconds, 1e-9)

    result = {
        "engine": "pytorch",
        "environment": peerlib.torch_environment(),
        "config": {
            "dataset": args.dataset, "dataDirectory": os.path.abspath(args.data_dir),
            "model": args.model, "iterations": args.iterations, "batchSize": args.batch,
            "baseLearningRate": args.lr, "learningRatePolicy": args.schedule.describe(),
            "momentum": args.momentum, "weightDecay": args.weight_decay,
            "preprocessing": args.preprocess, "augmentation": args.augment,
            "maxPerClass": args.cap, "seed": args.seed, "threads": args.threads,
            "trainNpz": os.path.abspath(args.train_npz) if args.train_npz else None, "loss": args.loss,
        },
        "data": {"trainCounts": counts.tolist(),
                 "testCounts": np.bincount(yte, minlength=classes).tolist()},
        "status": "finished" if diverged is None else "diverged",
        "divergence": diverged,
        "results": {"baseline": {"accuracy": accuracy, "multiClassAUC": auc, "perClassAUC": per_class,
                                 "finalTrainLoss": float(np.mean(recent)) if recent else None}},
        "timings": {"wallSeconds": wall_seconds, "trainSeconds": train_seconds,
                    "preprocessSeconds": preprocess_seconds, "imagesPerSecond": images_per_second},
    }
    print(f"PyTorch {torch.__version__} peer: {args.dataset} / {args.model}, {args.iterations} iterations "
          f"at batch {args.batch}, lr {args.lr} {args.schedule.describe()}, {args.preprocess}"
          f"{', ' + args.augment if args.augment != 'none' else ''}, {args.threads} thread(s)")
    if diverged:
        print(f"  DIVERGED: {diverged}")
    else:
        print(f"  test accuracy {accuracy:.4f}  multi-class AUC {auc:.6f}")
    print(f"  wall time {wall_seconds:.1f} s (training {train_seconds:.1f} s, {images_per_second:.0f} images/s)")
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2, sort_keys=True)
            f.write("\n")
        print(f"  written to {args.json}")
    return 0 if diverged is None else 3


def log(message):
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
