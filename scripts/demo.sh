#!/usr/bin/env bash
# make demo — the CRD at work (issue 2; the whole cluster comes with the Management Cluster):
# formats a CRD of one internal and two external disks in a temporary folder, lets three MUs
# (crd-contender: the CRD part of an MU) write their alive messages and regions and elect a
# Master MU through the master lease, which counts in region 0; stops them cleanly (release,
# LEFT), and prints `sectl crd inspect` of every disk and `sectl crd verify`.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${SECLUSTER_BUILD:-build}
SECTL=$B/src/sectl/sectl
UNIT=$B/tests/fault/crd-contender
CID=5ec1a5e7-0000-4000-8000-00000000c0de
dir=$(mktemp -d /tmp/secluster-demo.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	[ -n "${KEEP:-}" ] && echo "(kept $dir)" || rm -rf "$dir"
}
trap cleanup EXIT

say() { printf '\n== %s\n' "$*"; }

say "format: one internal disk (of mu1) and the external set of two disks in $dir"
$SECTL crd format --cluster-id $CID --role internal "$dir/mu1-internal.crd"
$SECTL crd format --cluster-id $CID --role external --unsafe-crd-fs "$dir/ext1.crd" "$dir/ext2.crd"

say "three MUs start: alive messages, their regions, the master lease (lab profile)"
for u in 1 2 3; do
	extra=()
	[ $u = 1 ] && extra=(--internal "$dir/mu1-internal.crd")
	$UNIT --unit-id $u --disk "$dir/ext1.crd" --disk "$dir/ext2.crd" "${extra[@]}" \
		--profile lab --devcount --log "$dir/beliefs.log" 2>"$dir/mu$u.err" &
	pids+=($!)
done
# wait (with a deadline) until a Master MU is elected and has counted to 5 in region 0
for _ in $(seq 1 200); do
	[ "$(grep -c '^A ' "$dir/beliefs.log" 2>/dev/null || true)" -ge 5 ] && break
	sleep 0.1
done
master=$(awk '$1 == "B" {print $2; exit}' "$dir/beliefs.log" 2>/dev/null || true)
[ -n "$master" ] || { echo "no Master MU was elected"; cat "$dir"/mu*.err; exit 1; }
echo "Master MU: unit $master (term $(awk '$1 == "B" {print $4; exit}' "$dir/beliefs.log")); region-0 counter acknowledged $(grep -c '^A ' "$dir/beliefs.log") times"

say "the MUs stop cleanly: the master releases the lease, every slot says LEFT"
for p in "${pids[@]}"; do kill -TERM "$p"; done
for p in "${pids[@]}"; do wait "$p"; done
pids=()

for d in ext1 ext2 mu1-internal; do
	say "sectl crd inspect $d.crd"
	$SECTL crd inspect "$dir/$d.crd"
done
say "sectl crd verify ext1.crd ext2.crd mu1-internal.crd"
$SECTL crd verify "$dir/ext1.crd" "$dir/ext2.crd" "$dir/mu1-internal.crd"
