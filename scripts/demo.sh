#!/usr/bin/env bash
# make demo — the Management Cluster at work (issue 3 "The local lab"; README "Quick start"):
# starts a lab of 2 SE Servers with 2 MUs each (`sectl lab up`, timing profile lab), logs in
# and shows the cluster, kills the Master MU's secd with kill -9, waits until another MU
# has taken over, shows the status and the events, starts the killed unit again, waits for
# NORMAL, shows the audit log and stops the lab. Every command shown is run as shown, its
# output is the real one. Exits non-zero when a step fails; nothing is left running (the
# lab is stopped by PID in any case). KEEP=1 keeps the lab's folder (logs, CRD files).
set -euo pipefail
cd "$(dirname "$0")/.."
B=$(cd "${SECLUSTER_BUILD:-build}" && pwd)
SECTL=$B/src/sectl/sectl
PY=/usr/bin/python3
[ -x "$SECTL" ] || { echo "demo: no $SECTL; run 'make' first" >&2; exit 1; }

dir=$(mktemp -d /tmp/secluster-demo.XXXXXX)
lab=$dir/lab
export SECTL_CONFIG=$lab/sectl.conf
t_start=$SECONDS
step=0 up=0 ok=0
cleanup() {
	if [ "$up" = 1 ]; then
		echo
		echo "== stopping the lab (sectl lab down)"
		"$SECTL" lab down --dir "$lab" || true
	fi
	if [ "$ok" = 1 ] && [ -z "${KEEP:-}" ]; then
		rm -rf "$dir"
	else
		echo "(the lab's files and logs stay in $lab)"
	fi
	[ "$ok" = 1 ] || echo "demo: FAILED at step $step" >&2
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { step=$((step + 1)); printf '\n== %d. %s\n' "$step" "$*"; }
# Shows a sectl command as a user types it, then runs it.
run() { printf '$ sectl %s\n' "$*"; "$SECTL" "$@"; }
# A field of a sectl --json output (a Python expression over d).
field() { "$SECTL" "${@:2}" --json 2>/dev/null | $PY -c "import json,sys; d=json.load(sys.stdin); print($1)" 2>/dev/null; }
# wait_until SECONDS WHAT CONDITION...: polls the condition (a command) until it holds.
wait_until() {
	local limit=$1 what=$2 t0=$SECONDS
	shift 2
	until "$@"; do
		if [ $((SECONDS - t0)) -ge "$limit" ]; then
			echo "demo: no $what after $limit s" >&2
			return 1
		fi
		sleep 0.2
	done
}
status_is() { [ "$(field 'd["status"]' cluster status)" = "$1" ]; }
master_is_not() { local m; m=$(field 'd["master_mu"]' cluster status) && [ -n "$m" ] && [ "$m" != None ] && [ "$m" != "$1" ]; }
events_with() { [ "$(field 'd["total"]' events --text "$1" --limit 1)" -ge "$2" ] 2>/dev/null; }

say "start a lab: 2 SE Servers with 2 MUs each, every unit a secd on this machine"
printf '$ sectl lab up --dir %s\n' "$lab"
up=1
"$SECTL" lab up --dir "$lab"

say "log in (the lab wrote sectl.conf and the password of 'admin')"
echo "\$ export SECTL_CONFIG=$SECTL_CONFIG"
run login --password-file "$lab/admin.password"
wait_until 30 "NORMAL cluster status" status_is NORMAL

say "the cluster: dashboard, Management Cluster, its MUs"
run cluster status
echo
run clusters
echo
run units

say "kill -9 the Master MU's secd"
master=$(field 'd["master_mu"]' cluster status)
pid=$(field "next(u['pid'] for u in d['units'] if u['name'] == '$master')" lab status --dir "$lab")
echo "The Master MU is $master; its secd has pid $pid (sectl lab status --dir $lab --json)."
echo "\$ kill -9 $pid"
t_kill=$($PY -c 'import time; print(time.monotonic_ns())') # secd's master.log clock
kill -9 "$pid"

say "wait until another MU is the Master MU"
wait_until 60 "new Master MU" master_is_not "$master"
new=$(field 'd["master_mu"]' cluster status)
t_new=$($PY -c 'import time; print(time.monotonic_ns())')
# the start of the new master's belief (DATA_DIR/master.log: B unit incarnation term start t)
t_lease=$(awk -v k="$t_kill" '$1 == "B" && $5 > k {print $5; exit}' "$lab/units/$new/data/master.log")
secs() { local ms=$((($1 - t_kill) / 1000000)); printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100)); }
echo "Master MU: $new. It took over the master lease on the CRD $(secs "$t_lease") s after the kill;"
echo "the MUs' API names it $(secs "$t_new") s after the kill: a new Master MU publishes its first"
echo "status once every unit has answered its heartbeat or missed 3 (hb_misses) of them."
wait_until 30 "WARNING cluster status" status_is WARNING
wait_until 30 "'Master MU changed' event" events_with "Master MU changed" 1
run cluster status
echo
run events

say "start $master again"
run lab start --dir "$lab" "$master"
wait_until 60 "NORMAL cluster status" status_is NORMAL
run cluster status
api=$(field "next(u['api'] for u in d['units'] if u['name'] == '$master')" lab status --dir "$lab")
# a sectl configuration that names only the restarted MU (same session token)
printf '[sectl]\napi = %s\ntoken_file = %s/sectl.token\n' "$api" "$lab" >"$dir/$master.conf"
echo
echo "The event log as $master sees it ($dir/$master.conf names only its API, $api):"
echo "it was down when the takeover was logged and has caught up."
SECTL_CONFIG=$dir/$master.conf wait_until 30 "caught-up events on $master" events_with "Master MU changed" 1
SECTL_CONFIG=$dir/$master.conf wait_until 30 "back-to-NORMAL events on $master" events_with "to 'NORMAL'" 2
run events --config "$dir/$master.conf"

say "the audit log"
run audit

say "stop the lab"
run lab down --dir "$lab"
up=0
ok=1
echo
echo "demo: done in $((SECONDS - t_start)) s; nothing of the lab runs"
