#!/usr/bin/env bash
# Accuracy cross-check (issue 4): trains MODEL with `imbench train`, then the same network,
# data, preprocessing, solver, schedule, batch size and thread count in PyTorch
# (train_peer.py, reading the recipe back from imbench's run record), one after the other,
# and prints test accuracy, multi-class AUC, wall time and images/s side by side.
#
#   Benchmarks/peers/crosscheck.sh MODEL [--out-dir DIR] [--record REC.json] [imbench train options]
#
#   Benchmarks/peers/crosscheck.sh lenet5 --data-dir ../shared/datasets/mnist --iterations 1000
#   Benchmarks/peers/crosscheck.sh allcnn --data-dir ../shared/datasets/cifar-10-batches-bin \
#       --iterations 2000 --max-per-class all
#
# MODEL is lenet5, allcnn or resnet10. Options other than --out-dir and --record go to
# `imbench train` unchanged (its --learning-rate, --iterations, --batch, --preprocess,
# --augment, --seed, --max-per-class...); --dataset defaults to mnist for lenet5 and cifar10
# otherwise, --threads to $THREADS (default 1). --record reuses an existing imbench record
# instead of training (only the peer runs). --out-dir keeps the records (default: a fresh
# directory under ${TMPDIR:-/tmp}).
#
# Environment: IMBENCH (the imbench binary; default .build/release/imbench, else ./imbench,
# which builds first), IMBENCH_PEERS_VENV (setup.sh's environment), THREADS.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${IMBENCH_PEERS_VENV:-$HOME/.cache/imbench/peers-venv}"
py="$venv/bin/python"

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }

if [[ $# -lt 1 || "$1" == "-h" || "$1" == "--help" ]]; then
    usage
    exit $(( $# < 1 ? 2 : 0 ))
fi
model="$1"; shift
case "$model" in
    lenet5|allcnn|resnet10) ;;
    *) echo "crosscheck.sh: unknown model '$model' (expected lenet5, allcnn or resnet10)" >&2; exit 2 ;;
esac

out_dir=""
record=""
imbench_args=()
have_dataset=0
have_threads=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --out-dir) out_dir="${2:?--out-dir needs a directory}"; shift 2 ;;
        --out-dir=*) out_dir="${1#*=}"; shift ;;
        --record) record="${2:?--record needs a file}"; shift 2 ;;
        --record=*) record="${1#*=}"; shift ;;
        *)
            [[ "$1" == --dataset || "$1" == --dataset=* ]] && have_dataset=1
            [[ "$1" == --threads || "$1" == --threads=* ]] && have_threads=1
            imbench_args+=("$1"); shift ;;
    esac
done
if [[ $have_dataset == 0 ]]; then
    imbench_args+=(--dataset "$([[ $model == lenet5 ]] && echo mnist || echo cifar10)")
fi
[[ $have_threads == 0 ]] && imbench_args+=(--threads "${THREADS:-1}")

if [[ ! -x "$py" ]] || ! "$py" -c "import torch, numpy" 2>/dev/null; then
    echo "crosscheck.sh: no PyTorch environment at $venv; run $here/setup.sh first" >&2
    exit 1
fi
if [[ -z "$out_dir" ]]; then
    out_dir="$(mktemp -d "${TMPDIR:-/tmp}/imbench-crosscheck.XXXXXX")"
fi
mkdir -p "$out_dir"

if [[ -z "$record" ]]; then
    imbench="${IMBENCH:-}"
    if [[ -z "$imbench" ]]; then
        if [[ -x "$root/.build/release/imbench" ]]; then imbench="$root/.build/release/imbench"
        else imbench="$root/imbench"; fi
    fi
    record="$out_dir/imbench-$model.json"
    echo "== ImbalanceBench: $imbench train --model $model ${imbench_args[*]}" >&2
    "$imbench" train --model "$model" "${imbench_args[@]}" --output "$record"
else
    [[ -f "$record" ]] || { echo "crosscheck.sh: --record $record: no such file" >&2; exit 2; }
fi

mapfile -t peer_args < <("$py" "$here/peer_report.py" peer-args "$record")
[[ ${#peer_args[@]} -gt 0 ]] || { echo "crosscheck.sh: could not read the recipe from $record" >&2; exit 1; }
peer_json="$out_dir/pytorch-$model.json"
echo "== PyTorch: train_peer.py ${peer_args[*]}" >&2
status=0
"$py" "$here/train_peer.py" "${peer_args[@]}" --json "$peer_json" || status=$?
if [[ $status -ne 0 && $status -ne 3 ]]; then   # 3: diverged, still worth a table
    echo "crosscheck.sh: train_peer.py failed (exit $status)" >&2
    exit "$status"
fi
"$py" "$here/peer_report.py" crosscheck "$record" "$peer_json" --json "$out_dir/crosscheck-$model.json"
