#!/usr/bin/env bash
# bench/crd.sh — CRD region commit latency (bench/crd-commit.c) on 1, 2 and 3 file-backed
# disks against parallel pwrite + fdatasync of the same size. Usage: bench/crd.sh [DIR]
# (DIR: where the sparse 1 GiB disk files go; default a new directory under /tmp).
# Results go by hand into docs/benchmarks.md with this command.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build bench/crd-commit >/dev/null
if [ $# -ge 1 ]; then
	exec build/bench/crd-commit --dir "$1" --writes "${WRITES:-200}"
fi
exec build/bench/crd-commit --writes "${WRITES:-200}"
