#!/usr/bin/env bash
# Installs what ImbalanceBench needs on a fresh Debian machine (only what is missing), then
# builds the release binary. Safe to run repeatedly: it does nothing that is already done.
#   libopenblas-dev   GEMM (system-library target CBLAS)
#   zlib1g-dev        gzip, PNG and zip inflation (system-library target CZlib)
#   libjpeg62-turbo-dev  JPEG decoding (system-library target CJPEG)
#   pkg-config        how SwiftPM finds them
#   dataset-fashion-mnist  the default data of the quick start (real Fashion-MNIST)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
packages=(libopenblas-dev zlib1g-dev libjpeg62-turbo-dev pkg-config dataset-fashion-mnist)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing Debian packages: ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
if ! command -v swift >/dev/null 2>&1; then
  echo "bootstrap: no Swift toolchain on PATH (Swift 6.1 or later is needed: https://swift.org/install)" >&2
  exit 1
fi
if [ "${1:-}" != "--no-build" ]; then
  (cd "$root" && swift build -c release --product imbench 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]' >&2) || {
    echo "bootstrap: the release build failed" >&2; exit 1; }
fi
