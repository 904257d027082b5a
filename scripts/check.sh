#!/usr/bin/env bash
# make check: installs what is missing, builds (plain with -Werror, ASan+UBSan, TSan, clang +
# libFuzzer), runs every test tier with its own timeout (testing.md), and ends with
# "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
scripts/install-deps.sh || exit 1
tally=$(mktemp); trap 'rm -f "$tally"' EXIT
t0=$(date +%s)

build() { # dir, extra meson options...
	local dir=$1; shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" -Dwerror=true "$@" >/dev/null || return 1
	fi
	ninja -C "$dir" >"$dir/ninja.log" 2>&1 || { cat "$dir/ninja.log"; return 1; }
}
if ! build build || ! build build-asan -Db_sanitize=address,undefined -Db_lundef=false ||
   ! build build-tsan -Db_sanitize=thread -Db_lundef=false ||
   ! CC=clang build build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false; then
	echo "build failed"
	echo "0 passed, 1 failed"
	exit 1
fi
echo "builds: ok ($(( $(date +%s) - t0 )) s)"

tier() { $PY scripts/run-tier.py "$tally" "$@"; }
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
tier unit 60 -- meson build unit
tier unit-asan 90 -- meson build-asan unit
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" tier tsan 60 -- meson build-tsan tsan
tier fuzz 75 -- cmd $PY scripts/fuzz-tier.py build-fuzz 7
[ -x build/tests/sim/crd-sim ] && tier sim 90 -- cmd build/tests/sim/crd-sim --schedules 100000
[ -d tests/fault ] && [ -n "$(ls tests/fault/test_*.py 2>/dev/null)" ] &&
	SECLUSTER_BUILD=$PWD/build tier fault 1050 -- pytest -q -rs -p no:cacheprovider --durations=5 tests/fault

awk -v t="$(( $(date +%s) - t0 ))" '{p+=$2; f+=$3; s+=$4}
	END {printf "total: %d s\n", t; if (s) printf "%d passed, %d failed, %d skipped\n", p, f, s;
	     else printf "%d passed, %d failed\n", p, f; exit (f > 0)}' "$tally"
