#!/usr/bin/env python3
"""Training and inference throughput of PyTorch (CPU) on the networks of ImbalanceBench, the
peer figure for `imbench bench` (issue 5).

A training step is what the engine's trainer does per iteration: gather a batch of
synthetic images (speed does not depend on pixel values), forward, softmax cross-entropy,
backward, and Caffe's SGD update with the model's multipliers (peerlib.CaffeSGD, on
PyTorch's multi-tensor kernels). Inference is forward + softmax in eval mode under
torch.inference_mode(). Each figure is the median of --repeats timed runs after a warm-up.

    bench_peer.py --model lenet5 --batch 64 --threads 1 --json peer.json
"""

import argparse
import json
import os
import resource
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peerlib  # noqa: E402  (caps the BLAS/OpenMP pools before torch loads)

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

# Timed iterations per run when --iterations is not given: about 5-20 s per run at batch 64
# on one core (LeNet-5 steps take milliseconds, All-CNN and ResNet-10 steps about a second).
DEFAULT_ITERATIONS = {"lenet5": 200, "allcnn": 10, "resnet10": 10}
INPUT = {"lenet5": (1, 28), "allcnn": (3, 32), "resnet10": (3, 32)}


def parse_args(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", choices=peerlib.MODELS, default="lenet5")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=1, help="PyTorch intra-op threads (inter-op: 1)")
    ap.add_argument("--iterations", type=int, default=None,
                    help="training steps per timed run (default: lenet5 200, allcnn 10, resnet10 10)")
    ap.add_argument("--repeats", type=int, default=5, help="timed runs; the median is reported")
    ap.add_argument("--warmup", type=int, default=None,
                    help="untimed training steps first (default: max(3, iterations / 10))")
    ap.add_argument("--inference-images", type=int, default=None,
                    help="images per timed inference run (default: as imbench bench, max(20 batches, 2000) "
                         "for lenet5; 4 batches for the CIFAR networks)")
    ap.add_argument("--channels-last", action="store_true",
                    help="NHWC tensors (oneDNN's preferred layout); off by default, as most users run NCHW")
    ap.add_argument("--json", metavar="OUT", help="write the results as JSON here")
    args = ap.parse_args(argv)
    if min(args.batch, args.threads, args.repeats) <= 0:
        ap.error("--batch, --threads and --repeats must be positive")
    args.iterations = args.iterations or DEFAULT_ITERATIONS[args.model]
    if args.iterations <= 0:
        ap.error("--iterations must be positive")
    args.warmup = args.warmup if args.warmup is not None else max(3, args.iterations // 10)
    if args.inference_images is None:
        args.inference_images = (max(args.batch * 20, 2000) if args.model == "lenet5"
                                 else args.batch * 4)
    return args


def main(argv=None):
    args = parse_args(argv)
    peerlib.configure_threads(args.threads)
    torch.manual_seed(1)
    channels, size = INPUT[args.model]
    classes = 10
    model, entries = peerlib.build_model(args.model, classes, channels, size, seed=1)
    fmt = torch.channels_last if args.channels_last else torch.contiguous_format
    model = model.to(memory_format=fmt)
    momentum = peerlib.MODEL_DEFAULTS[args.model]["momentum"]
    decay = peerlib.MODEL_DEFAULTS[args.model]["weight_decay"]
    solver = peerlib.CaffeSGD(entries, momentum, decay)
    # A small learning rate keeps weights finite over many steps on random labels.
    rate = 1e-4

    pool = max(args.batch * 20, args.inference_images, 2000)
    gen = torch.Generator().manual_seed(2)
    pixels = torch.randint(0, 256, (pool, channels, size, size), dtype=torch.uint8, generator=gen)
    images = (pixels.float() * 0.00390625).contiguous(memory_format=fmt)
    labels = torch.arange(pool) % classes
    order = torch.randperm(pool, generator=gen)
    cursor = 0

    def train(steps):
        nonlocal cursor, order
        model.train()
        for _ in range(steps):
            if cursor + args.batch > pool:
                order, cursor = torch.randperm(pool, generator=gen), 0
            idx = order[cursor:cursor + args.batch]
            cursor += args.batch
            loss = F.cross_entropy(model(images.index_select(0, idx)), labels.index_select(0, idx))
            solver.zero_grad()
            loss.backward()
            solver.step(rate)
        return loss.item()

    def infer():
        model.eval()
        with torch.inference_mode():
            for start in range(0, args.inference_images, args.batch):
                F.softmax(model(images[start:min(start + args.batch, args.inference_images)]), dim=1)

    train(args.warmup)
    train_runs = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        last_loss = train(args.iterations)
        seconds = time.perf_counter() - t0
        train_runs.append(args.iterations * args.batch / seconds)
        print(f"  training run: {train_runs[-1]:.0f} images/s", file=sys.stderr, flush=True)
    if not torch.isfinite(torch.tensor(last_loss)):
        sys.exit(f"bench_peer.py: training diverged (loss {last_loss}); the figures would be meaningless")
    infer()
    infer_runs = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        infer()
        infer_runs.append(args.inference_images / (time.perf_counter() - t0))

    macs, first = peerlib.forward_macs_per_image(model, channels, size)
    # As imbench bench counts: forward 2*MACs; backward the weight gradient of every layer
    # (2*MACs) and the input gradient of all but the first (2*(MACs - first)).
    forward_flop = 2.0 * macs
    train_flop = forward_flop + 2.0 * macs + 2.0 * (macs - first)
    train_ips, infer_ips = statistics.median(train_runs), statistics.median(infer_runs)
    env = peerlib.torch_environment()
    result = {
        "engine": "pytorch",
        "model": args.model, "batch": args.batch, "threads": args.threads,
        "iterations": args.iterations, "repeats": args.repeats, "warmup": args.warmup,
        "channelsLast": args.channels_last,
        "trainImagesPerSecond": train_ips, "trainRuns": train_runs,
        "inferenceImagesPerSecond": infer_ips, "inferenceRuns": infer_runs,
        "inferenceImages": args.inference_images,
        "trainGFLOPS": train_ips * train_flop / 1e9, "inferenceGFLOPS": infer_ips * forward_flop / 1e9,
        "forwardMFLOPPerImage": forward_flop / 1e6, "trainMFLOPPerImage": train_flop / 1e6,
        "peakMemoryMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "environment": env,
    }
    print(f"PyTorch {env['torch']} bench: {args.model}, batch {args.batch}, {args.threads} thread(s), "
          f"{env['cpuCapability']}, {env['onednn'] or 'no oneDNN'}, {env['parallelBackend']}")
    print(f"  training   {train_ips:8.0f} images/s  {result['trainGFLOPS']:6.1f} GFLOP/s  "
          f"({result['trainMFLOPPerImage']:.1f} MFLOP/image)")
    print(f"  inference  {infer_ips:8.0f} images/s  {result['inferenceGFLOPS']:6.1f} GFLOP/s  "
          f"({result['forwardMFLOPPerImage']:.1f} MFLOP/image)")
    print(f"  peak memory {result['peakMemoryMiB']:.0f} MiB")
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2, sort_keys=True)
            f.write("\n")
        print(f"  written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
