#!/usr/bin/env python3
"""The glue of crosscheck.sh and compare_speed.sh, kept in Python so that the shell scripts
parse no JSON themselves.

    peer_report.py peer-args IMBENCH_RECORD.json    train_peer.py arguments, one per line,
                                                    that repeat the record's recipe
    peer_report.py crosscheck IMBENCH.json PEER.json [--json OUT]
                                                    the side-by-side accuracy table
    peer_report.py speed RUNS_DIR --out OUT.json    the side-by-side throughput table
"""

import argparse
import datetime
import glob
import json
import os
import platform
import re
import statistics
import sys


def fail(message):
    sys.exit(f"peer_report.py: {message}")


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        fail(f"{path}: cannot read JSON ({e})")


def field(record, path, where):
    node = record
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            fail(f"{where}: no '{path}' (is this an imbench run record?)")
        node = node[key]
    return node


def peer_args(args):
    """The record's recipe as train_peer.py options, so that both sides train the same
    network on the same data with the same solver, schedule, batch, threads and inputs."""
    rec = load(args.record)
    c = field(rec, "config", args.record)
    where = args.record
    profile = field(rec, "config.profile.kind", where)
    if profile != "balanced" or c.get("sampler", "none") != "none" or c.get("twoPhase"):
        fail(f"{where}: the peer trains the balanced base set without resampling; this record has "
             f"profile {profile}, sampler {c.get('sampler')}, twoPhase {c.get('twoPhase')}")
    dataset = c["dataset"]
    if dataset not in ("mnist", "cifar10"):
        fail(f"{where}: dataset '{dataset}' has no peer reader (mnist, cifar10)")
    cap = c.get("maxPerClass")
    out = ["--dataset", dataset,
           "--data-dir", field(rec, "data.dataDirectory", where),
           "--model", c["model"],
           "--iterations", str(c["iterations"]),
           "--batch", str(c["batchSize"]),
           "--lr", repr(float(c["baseLearningRate"])),
           "--policy", c["learningRatePolicy"],
           "--momentum", repr(float(c["momentum"])),
           "--weight-decay", repr(float(c["weightDecay"])),
           "--threads", str(c["threads"]),
           "--seed", str(c["baseSeed"]),
           "--preprocess", c.get("preprocessing") or "scale",
           "--augment", c.get("augmentation") or "none",
           "--max-per-class", "all" if cap is None else str(cap)]
    print("\n".join(out))


def baseline(rec, where):
    results = field(rec, "results", where)
    if "baseline" in results:
        return results["baseline"]
    fail(f"{where}: no 'baseline' result (methods: {', '.join(sorted(results)) or 'none'})")


def crosscheck(args):
    ib, peer = load(args.imbench), load(args.peer)
    a, b = baseline(ib, args.imbench), baseline(peer, args.peer)
    ta, tb = field(ib, "timings", args.imbench), field(peer, "timings", args.peer)
    c = ib["config"]
    rows = [
        ("ImbalanceBench", ib.get("tool", {}).get("version", "?"), ib.get("status"), a, ta),
        ("PyTorch", peer.get("environment", {}).get("torch", "?"), peer.get("status"), b, tb),
    ]
    print()
    print(f"{c['dataset']} / {c['model']}: {c['iterations']} iterations at batch {c['batchSize']}, "
          f"lr {c['baseLearningRate']} {c['learningRatePolicy']}, momentum {c['momentum']}, "
          f"weight decay {c['weightDecay']}, {c.get('preprocessing') or 'scale'}"
          f"{', ' + c['augmentation'] if c.get('augmentation') not in (None, 'none') else ''}, "
          f"{c['threads']} thread(s), {sum(ib['data']['trainedCounts'])} vs "
          f"{sum(peer['data']['trainCounts'])} training images")
    print(f"{'engine':<16} {'version':<14} {'test accuracy':>13} {'multi-class AUC':>16} "
          f"{'wall s':>8} {'train s':>8} {'images/s':>9}")
    for name, version, status, m, t in rows:
        acc = "diverged" if status != "finished" or m.get("accuracy") is None else f"{100 * m['accuracy']:.2f}%"
        auc = "-" if m.get("multiClassAUC") is None else f"{m['multiClassAUC']:.6f}"
        print(f"{name:<16} {version:<14} {acc:>13} {auc:>16} {t['wallSeconds']:8.1f} "
              f"{t['trainSeconds']:8.1f} {t['imagesPerSecond']:9.0f}")
    summary = {"imbench": args.imbench, "peer": args.peer, "config": c,
               "imbenchAccuracy": a.get("accuracy"), "peerAccuracy": b.get("accuracy"),
               "imbenchAUC": a.get("multiClassAUC"), "peerAUC": b.get("multiClassAUC"),
               "imbenchTimings": ta, "peerTimings": tb}
    if a.get("accuracy") is not None and b.get("accuracy") is not None:
        diff = 100 * (a["accuracy"] - b["accuracy"])
        auc_diff = a["multiClassAUC"] - b["multiClassAUC"]
        summary.update(accuracyDifferencePoints=diff, aucDifference=auc_diff,
                       trainSpeedRatio=ta["imagesPerSecond"] / tb["imagesPerSecond"])
        print(f"difference (ImbalanceBench - PyTorch): accuracy {diff:+.2f} points, AUC {auc_diff:+.6f}; "
              f"training speed ratio {summary['trainSpeedRatio']:.2f}x")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=2, sort_keys=True)
            f.write("\n")
        print(f"written to {args.json}")


RUN_NAME = re.compile(r"(imbench|pytorch)-(\w+)-b(\d+)-t(\d+)-r(\d+)\.json$")


def speed(args):
    """Medians over rounds per (model, batch, threads), the ratio ImbalanceBench / PyTorch,
    printed and written with the environment that produced them."""
    cases = {}
    for path in sorted(glob.glob(os.path.join(args.runs, "*.json"))):
        m = RUN_NAME.search(os.path.basename(path))
        if not m:
            continue
        engine, model, batch, threads, _ = m.groups()
        cases.setdefault((model, int(batch), int(threads)), {}).setdefault(engine, []).append(load(path))
    if not cases:
        fail(f"{args.runs}: no run results (imbench-MODEL-bB-tT-rR.json / pytorch-...)")
    order = {"lenet5": 0, "allcnn": 1, "resnet10": 2}
    rows = []
    for (model, batch, threads), runs in sorted(cases.items(), key=lambda kv: (order.get(kv[0][0], 9), kv[0])):
        row = {"model": model, "batch": batch, "threads": threads}
        for engine, key in (("imbench", "imbench"), ("pytorch", "pytorch")):
            rs = runs.get(engine, [])
            row[key] = {
                "rounds": len(rs),
                "trainImagesPerSecond": statistics.median(r["trainImagesPerSecond"] for r in rs) if rs else None,
                "inferenceImagesPerSecond": statistics.median(r["inferenceImagesPerSecond"] for r in rs) if rs else None,
                "trainPerRound": [r["trainImagesPerSecond"] for r in rs],
                "inferencePerRound": [r["inferenceImagesPerSecond"] for r in rs],
                # The process's peak resident memory, the largest over rounds (issue 21
                # asks that it not grow).
                "peakMemoryMiB": max((r["peakMemoryMiB"] for r in rs if r.get("peakMemoryMiB") is not None),
                                     default=None),
            }
        ib, pt = row["imbench"], row["pytorch"]
        if ib["trainImagesPerSecond"] and pt["trainImagesPerSecond"]:
            row["trainRatio"] = ib["trainImagesPerSecond"] / pt["trainImagesPerSecond"]
            row["inferenceRatio"] = ib["inferenceImagesPerSecond"] / pt["inferenceImagesPerSecond"]
        first_ib = runs.get("imbench", [{}])[0]
        row["imbenchSgemmGFLOPS"] = [r.get("sgemmGFLOPS") for r in runs.get("imbench", [])]
        row["imbenchOpenBLASCore"] = first_ib.get("openblasCore")
        rows.append(row)

    def fmt(v, spec):
        return "-" if v is None else format(v, spec)

    print()
    print(f"{'model':<9} {'batch':>5} {'thr':>3}  {'train img/s':>11} {'PyTorch':>9} {'ratio':>6}  "
          f"{'infer img/s':>11} {'PyTorch':>9} {'ratio':>6}  {'sgemm GFLOP/s':>13}")
    for r in rows:
        ib, pt = r["imbench"], r["pytorch"]
        print(f"{r['model']:<9} {r['batch']:>5} {r['threads']:>3}  "
              f"{fmt(ib['trainImagesPerSecond'], '11.0f')} {fmt(pt['trainImagesPerSecond'], '9.0f')} "
              f"{fmt(r.get('trainRatio'), '5.2f')}x  "
              f"{fmt(ib['inferenceImagesPerSecond'], '11.0f')} {fmt(pt['inferenceImagesPerSecond'], '9.0f')} "
              f"{fmt(r.get('inferenceRatio'), '5.2f')}x  "
              f"{' '.join(fmt(g, '.0f') for g in r['imbenchSgemmGFLOPS'] if g is not None) or '-':>13}")
    print("(ImbalanceBench images/s | PyTorch images/s | ratio ImbalanceBench / PyTorch; medians over rounds;\n"
          " sgemm: imbench bench's 512^3 sgemm in each round, a gauge of how busy the machine was)")

    skipped = []
    skipped_path = os.path.join(args.runs, "skipped.txt")
    if os.path.isfile(skipped_path):
        with open(skipped_path) as f:
            skipped = [line.strip() for line in f if line.strip()]
        for line in skipped:
            print(f"skipped: {line}")
    env = next((r["environment"] for rs in cases.values() for r in rs.get("pytorch", [])), None)
    load_avg = {}
    for name in ("load-start.txt", "load-end.txt"):
        p = os.path.join(args.runs, name)
        if os.path.isfile(p):
            with open(p) as f:
                load_avg[name[:-4]] = f.read().strip()
    summary = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count(), "platform": platform.platform(),
                    "loadAverage": load_avg},
        "pytorch": env,
        "imbenchVersion": args.imbench_version,
        # Extra `imbench bench` flags of every ImbalanceBench run (hidden tuning flags that
        # measure a variant the standard engine does not run); empty for the engine itself.
        "imbenchFlags": args.imbench_flags,
        "method": "per case: imbench bench and bench_peer.py alternate (A B A B ...), one round each; "
                  "each run reports the median of its timed repeats; the table shows the median over "
                  "rounds and the ratio ImbalanceBench / PyTorch",
        "cases": rows,
        "skipped": skipped,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(summary, f, indent=2, sort_keys=True)
        f.write("\n")
    print(f"written to {args.out}")


def cpu_model():
    """The brand string plus family, model and widest vector extension: virtual machines'
    brand strings ("AMD EPYC") do not tell Zen 3 from Zen 4 or Zen 5."""
    fields = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if not line.strip():
                    break
                key, _, value = line.partition(":")
                fields[key.strip()] = value.strip()
    except OSError:
        return platform.processor() or None
    name = fields.get("model name") or platform.processor() or "unknown CPU"
    flags = set(fields.get("flags", "").split())
    isa = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"
    if "cpu family" in fields and "model" in fields:
        return f"{name} (family {fields['cpu family']}, model {fields['model']}, {isa})"
    return name


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("peer-args", help="train_peer.py options repeating an imbench run record's recipe")
    p.add_argument("record")
    p.set_defaults(run=peer_args)
    p = sub.add_parser("crosscheck", help="side-by-side accuracy, AUC, wall time and images/s")
    p.add_argument("imbench")
    p.add_argument("peer")
    p.add_argument("--json", help="write the comparison here")
    p.set_defaults(run=crosscheck)
    p = sub.add_parser("speed", help="side-by-side throughput from a directory of runs")
    p.add_argument("runs")
    p.add_argument("--out", required=True)
    p.add_argument("--imbench-version", default=None)
    p.add_argument("--imbench-flags", default="")
    p.set_defaults(run=speed)
    args = ap.parse_args(argv)
    args.run(args)


if __name__ == "__main__":
    main()
