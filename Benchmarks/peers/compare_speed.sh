#!/usr/bin/env bash
# Throughput side by side (issue 5): for each case MODEL:BATCH:THREADS, runs `imbench bench`
# and bench_peer.py (PyTorch) alternately, A B A B over --rounds rounds, so that a machine
# whose speed drifts affects both alike; prints training and inference images/s of each
# (medians over rounds) and the ratio ImbalanceBench / PyTorch, and writes a JSON summary.
#
#   Benchmarks/peers/compare_speed.sh [--cases LIST] [--rounds N] [--repeats N] [--out FILE]
#                                     [--bench-flags FLAGS]
#
#   --cases    comma-separated MODEL:BATCH:THREADS (default
#              lenet5:64:1,lenet5:64:2,allcnn:64:1,allcnn:64:2,resnet10:64:1,resnet10:64:2);
#              a model that `imbench bench` does not support yet is skipped with a message
#   --rounds   A B rounds per case (default 2)
#   --repeats  timed runs inside each bench run, the median is kept (default 3)
#   --iterations-lenet5 N, --iterations-cifar N
#              training steps per timed run (defaults 200 and 10)
#   --out      the JSON summary (default reports/perf/peers-YYYY-MM-DD.json under the repo)
#   --keep DIR keep every run's JSON in DIR (default: a temporary directory, removed)
#   --bench-flags FLAGS
#              extra flags for every `imbench bench` run, e.g. "--winograd-5x5" to measure a
#              variant the standard engine does not run yet (recorded as imbenchFlags)
#
# Environment: IMBENCH (default .build/release/imbench, else ./imbench, which builds first),
# IMBENCH_PEERS_VENV (setup.sh's environment).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${IMBENCH_PEERS_VENV:-$HOME/.cache/imbench/peers-venv}"
py="$venv/bin/python"

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }

cases="lenet5:64:1,lenet5:64:2,allcnn:64:1,allcnn:64:2,resnet10:64:1,resnet10:64:2"
rounds=2
repeats=3
iters_lenet=200
iters_cifar=10
out="$root/reports/perf/peers-$(date +%Y-%m-%d).json"
keep=""
bench_flags=""
need() { [[ $# -ge 2 && -n "$2" ]] || { echo "compare_speed.sh: $1 needs a value" >&2; exit 2; }; }
while [[ $# -gt 0 ]]; do
    case "$1" in
        -h|--help) usage; exit 0 ;;
        --cases) need "$@"; cases="$2"; shift 2 ;;
        --rounds) need "$@"; rounds="$2"; shift 2 ;;
        --repeats) need "$@"; repeats="$2"; shift 2 ;;
        --iterations-lenet5) need "$@"; iters_lenet="$2"; shift 2 ;;
        --iterations-cifar) need "$@"; iters_cifar="$2"; shift 2 ;;
        --out) need "$@"; out="$2"; shift 2 ;;
        --keep) need "$@"; keep="$2"; shift 2 ;;
        --bench-flags) need "$@"; bench_flags="$2"; shift 2 ;;
        *) echo "compare_speed.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done
for n in "$rounds" "$repeats" "$iters_lenet" "$iters_cifar"; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "compare_speed.sh: '$n' is not a positive integer" >&2; exit 2; }
done

if [[ ! -x "$py" ]] || ! "$py" -c "import torch" 2>/dev/null; then
    echo "compare_speed.sh: no PyTorch environment at $venv; run $here/setup.sh first" >&2
    exit 1
fi
imbench="${IMBENCH:-}"
if [[ -z "$imbench" ]]; then
    if [[ -x "$root/.build/release/imbench" ]]; then imbench="$root/.build/release/imbench"
    else imbench="$root/imbench"; fi
fi

if [[ -n "$keep" ]]; then
    runs="$keep"; mkdir -p "$runs"
else
    runs="$(mktemp -d "${TMPDIR:-/tmp}/imbench-speed.XXXXXX")"
    trap 'rm -rf "$runs"' EXIT
fi
: > "$runs/skipped.txt"
cut -d' ' -f1-3 /proc/loadavg > "$runs/load-start.txt" 2>/dev/null || true

declare -A unsupported=()
IFS=',' read -r -a case_list <<< "$cases"
for spec in "${case_list[@]}"; do
    IFS=':' read -r model batch threads <<< "$spec"
    if [[ -z "${model:-}" || ! "${batch:-}" =~ ^[0-9]+$ || ! "${threads:-}" =~ ^[0-9]+$ ]]; then
        echo "compare_speed.sh: case '$spec' is not MODEL:BATCH:THREADS" >&2; exit 2
    fi
    if [[ -n "${unsupported[$model]:-}" ]]; then continue; fi
    iters=$([[ $model == lenet5 ]] && echo "$iters_lenet" || echo "$iters_cifar")
    name="$model-b$batch-t$threads"
    for ((r = 1; r <= rounds; r++)); do
        echo "== $name round $r/$rounds: ImbalanceBench" >&2
        err="$runs/imbench-$name-r$r.err"
        # stderr shown live and kept for the skip message; pipefail keeps imbench's status.
        if ! { OPENBLAS_NUM_THREADS="$threads" "$imbench" bench --model "$model" --batch "$batch" \
                --threads "$threads" --iterations "$iters" --repeats "$repeats" $bench_flags \
                --output "$runs/imbench-$name-r$r.json" 2>&1 1>&3 | tee "$err" >&2; } 3>&1; then
            msg="$model: imbench bench --model $model failed ($(grep -v '^ *training run' "$err" | tail -1)); case skipped"
            echo "compare_speed.sh: $msg" >&2
            echo "$msg" >> "$runs/skipped.txt"
            rm -f "$runs"/*-"$name"-r*.json
            unsupported[$model]=1
            break
        fi
        echo "== $name round $r/$rounds: PyTorch" >&2
        "$py" "$here/bench_peer.py" --model "$model" --batch "$batch" --threads "$threads" \
            --iterations "$iters" --repeats "$repeats" --warmup "$(( iters / 10 > 10 ? iters / 10 : 10 ))" \
            --json "$runs/pytorch-$name-r$r.json"
    done
done
cut -d' ' -f1-3 /proc/loadavg > "$runs/load-end.txt" 2>/dev/null || true

version="$("$imbench" --version 2>/dev/null | head -1 || true)"
"$py" "$here/peer_report.py" speed "$runs" --out "$out" --imbench-version "${version:-unknown}" \
    --imbench-flags="$bench_flags"
