#!/usr/bin/env bash
# Creates the peers' own Python environment with PyTorch (CPU) and NumPy, outside the
# suite's dependencies. PyTorch comes from PyPI (pip also honours a local find-links
# directory such as /opt/wheels when the machine's pip.conf names one, which avoids the
# ~5 GB CUDA download of the default PyPI wheel).
#
#   Benchmarks/peers/setup.sh            # creates $IMBENCH_PEERS_VENV (default below)
#   Benchmarks/peers/setup.sh --check    # exits 0 if the environment is ready
set -euo pipefail
VENV="${IMBENCH_PEERS_VENV:-$HOME/.cache/imbench/peers-venv}"
if [[ "${1:-}" == "--check" ]]; then
    exec "$VENV/bin/python" -c "import torch, numpy" 2>/dev/null
fi
PYTHON="${PYTHON:-python3}"
if [[ ! -x "$VENV/bin/python" ]]; then
    echo "creating $VENV"
    "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip >/dev/null 2>&1 || true
# Prefer a CPU build when one is reachable; fall back to PyPI's default wheel. pip ranks a
# newer PyPI release (a CUDA build, ~5 GB with its nvidia-* dependencies) above an older
# "+cpu" wheel in a find-links directory, so the local CPU wheel is named explicitly.
find_links="${PIP_FIND_LINKS:-$("$VENV/bin/python" -m pip config get global.find-links 2>/dev/null || true)}"
pytag="$("$VENV/bin/python" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')"
cpu_wheel=""
for dir in $find_links; do
    dir="${dir#file://}"
    [[ -d "$dir" ]] || continue
    for w in "$dir"/torch-*+cpu-"$pytag"-"$pytag"-*linux*_x86_64.whl; do
        [[ -f "$w" ]] && cpu_wheel="$w"
    done
done
if [[ -n "$cpu_wheel" ]]; then
    echo "using the local CPU wheel $cpu_wheel"
    "$VENV/bin/python" -m pip install "$cpu_wheel" numpy
else
    "$VENV/bin/python" -m pip install "torch>=2.2" numpy
fi
"$VENV/bin/python" -c "import torch; print('torch', torch.__version__, 'CUDA build' if torch.version.cuda else 'CPU build', 'threads', torch.get_num_threads())"
echo "ready: $VENV"
