#!/usr/bin/env bash
# bench/lease-soak: the fault tier's lease contention test with 1,000 trials (make check runs
# 50): three real contender processes per group, random kill -9, SIGSTOP and disk faults,
# belief intervals and devcount checked after every trial. Not part of make check.
#   bench/lease-soak.sh [TRIALS]    (default 1000; about 20 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/tests/fault/crd-contender ] || { meson setup build >/dev/null; ninja -C build; }
export SECLUSTER_LEASE_TRIALS=${1:-1000}
export SECLUSTER_BUILD=$PWD/build
exec pytest-3 -q -s -p no:cacheprovider -k contention tests/fault
