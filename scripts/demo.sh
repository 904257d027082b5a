#!/usr/bin/env bash
# make demo — a whole SE cluster on one machine, as a newcomer meets it (issue 6; README
# "Quick start"): `sectl lab up` with 2 SE Servers, each with 2 MUs and 1 SU x86, SU Cluster
# SUC1 of the two SUs; the cluster's status; a demo guest on su1 with its console counter;
# /CHECK-VM-MIGRATION and a live migration to su2 (the counter goes on there); kill -9 of
# the Master MU's secd (takeover, events); su2 killed whole (the SU Cluster in ERROR,
# RECOVER refused, then accepted after the dead bound, the guest started on su1 again; su2
# back, dropping its copy); the event and audit logs; `sectl lab down`.
# Every command shown is run as shown and its output is the real one. It waits for every
# condition with a deadline and exits non-zero when a step fails; the lab is stopped by
# PID in any case and the demo checks that none of its processes is left.
# DEMO_PROFILE=test|lab (default lab): the timing profile (make check runs it with test);
# KEEP=1 keeps the lab's folder (logs, CRD files).
set -euo pipefail
cd "$(dirname "$0")/.."
B=$(cd "${SECLUSTER_BUILD:-build}" && pwd)
SECTL=$B/src/sectl/sectl
PY=/usr/bin/python3
PROFILE=${DEMO_PROFILE:-lab}
[ -x "$SECTL" ] || { echo "demo: no $SECTL; run 'make' first" >&2; exit 1; }

dir=$(mktemp -d /tmp/secluster-demo.XXXXXX)
lab=$dir/lab
export SECTL_CONFIG=$lab/sectl.conf
t_start=$SECONDS
step=0 up=0 ok=0
# The processes of the lab still running: every PID recorded in lab.json (secd, guards,
# fake watchdogs) and every process whose command line names the lab's folder (QEMUs).
leftovers() {
	{
		[ -f "$lab/lab.json" ] && $PY - "$lab/lab.json" <<-'EOF'
			import json, os, sys
			def pids(o):
			    if isinstance(o, dict):
			        for k, v in o.items():
			            if k.endswith("pid") and isinstance(v, int) and v > 0:
			                yield v
			            else:
			                yield from pids(v)
			    elif isinstance(o, list):
			        for v in o:
			            yield from pids(v)
			for p in set(pids(json.load(open(sys.argv[1])))):
			    try:  # a zombie has ended (its parent has not reaped it yet)
			        if open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()[0] != "Z":
			            print(p)
			    except OSError:
			        pass
		EOF
		pgrep -f -- "$lab/" || true
	} | sort -u | grep -v "^$$\$" || true
}
cleanup() {
	local rc=$?
	if [ "$up" = 1 ]; then
		echo
		echo "== stopping the lab (sectl lab down)"
		"$SECTL" lab down --dir "$lab" || true
	fi
	local left
	left=$(leftovers)
	if [ -n "$left" ]; then
		echo "demo: still running after 'sectl lab down': $(echo $left)" >&2
		# shellcheck disable=SC2086
		kill -9 $left 2>/dev/null || true
		ok=0
	fi
	if [ "$ok" = 1 ] && [ -z "${KEEP:-}" ]; then
		rm -rf "$dir"
	else
		echo "(the lab's files and logs stay in $lab)"
	fi
	if [ "$ok" != 1 ] && [ "$rc" = 130 ]; then
		echo "demo: interrupted at step $step" >&2
	elif [ "$ok" != 1 ]; then
		echo "demo: FAILED at step $step" >&2
		[ "$rc" != 0 ] || rc=1
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { step=$((step + 1)); printf '\n== %d. %s\n' "$step" "$*"; }
# A command line as a user types it: words with characters the shell would take in single
# quotes.
shown() {
	local w out=
	for w in "$@"; do
		case $w in
		*[!A-Za-z0-9_./:=,@%+-]*) out+=" '$w'" ;;
		*) out+=" $w" ;;
		esac
	done
	printf '$%s\n' "$out"
}
# Shows a sectl command as a user types it, then runs it.
run() { shown sectl "$@"; "$SECTL" "$@"; }
# The same for a command that must be refused (exit 1): fails the demo when it is not.
refused() {
	shown sectl "$@"
	if "$SECTL" "$@"; then
		echo "demo: 'sectl $*' was expected to be refused" >&2
		return 1
	fi
}
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
now_ns() { $PY -c 'import time; print(time.monotonic_ns())'; } # secd's master.log clock
secs() { local ms=$((($1 - $2) / 1000000)); printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100)); }
status_is() { [ "$(field 'd["status"]' cluster status)" = "$1" ]; }
suc_is() { [ "$(field 'd["su_cluster"]["status"]' sucluster show SUC1)" = "$1" ]; }
master_is_not() { local m; m=$(field 'd["master_mu"]' cluster status) && [ -n "$m" ] && [ "$m" != None ] && [ "$m" != "$1" ]; }
events_with() { [ "$(field 'd["total"]' events --text "$1" --limit 1)" -ge "$2" ] 2>/dev/null; }
verdict_is() { [ "$(field "next(u['alive_verdict'] for u in d['units'] if u['name'] == '$1')" units)" = "$2" ]; }
# The guest's console lines on SU $1 that match $2 (grep -E), at least $3 of them, among
# the lines after sequence number $4 (default: all).
console_has() { [ "$("$SECTL" console "$1" --vm G1 --after "${4:-0}" 2>/dev/null | grep -cE -- "$2")" -ge "$3" ]; }
# The sequence number of the last line of G1's console on SU $1 (0: none).
console_seq() { field 'd["lines"][-1]["seq"] if d["lines"] else 0' console "$1" --vm G1 || echo 0; }
show_console() { # SU N: the last N lines of G1's console on SU
	printf '$ sectl console %s --vm G1 | tail -n %s\n' "$1" "$2"
	"$SECTL" console "$1" --vm G1 | tail -n "$2"
}
serving() { "$SECTL" sdf "$1" /SHOW-VM-RESOURCES >/dev/null 2>&1; }
lm_possible() { "$SECTL" vm migrate G1 --to su2 --check >/dev/null 2>&1; }
sdf() { run sdf "$@"; }

say "start a lab: 2 SE Servers, each with 2 MUs and 1 SU x86; SU Cluster SUC1 of the two SUs"
profile=()
[ "$PROFILE" = lab ] || profile=(--profile "$PROFILE") # lab is sectl lab's default
up=1
run lab up --dir "$lab" --servers 2 --mus-per-server 2 --sus-per-server 1 --su-cluster "${profile[@]}"

echo
echo "Log in with the password the lab generated for the account 'admin':"
echo "\$ export SECTL_CONFIG=$SECTL_CONFIG"
run login --password-file "$lab/admin.password"
wait_until 60 "NORMAL cluster status" status_is NORMAL
wait_until 60 "NORMAL SU Cluster" suc_is NORMAL
wait_until 60 "su1 serving VM2000 commands" serving su1
wait_until 60 "su2 serving VM2000 commands" serving su2

say "the cluster: everything NORMAL, the Master MU named"
run cluster status
echo
run clusters
echo
run sucluster show SUC1

say "a demo guest on su1: defined, activated, started; its console counts"
sdf su1 '/CREATE-VM-DEFINITION VM-NAME=G1,VM-INDEX=*ANY,MEMORY-SIZE=64,DEVICES=*PARAMETERS(UNITS=(A000,A001))'
sdf su1 '/ACTIVATE-VM-DEFINITION VM-NAME=G1'
sdf su1 '/START-VM IPL-UNIT=A000,VM-ID=G1'
wait_until 60 "counter on su1's console" console_has su1 'GUEST n=[0-9]+ check=ok' 3
show_console su1 4
echo
run systems

say "live migration of G1 from su1 to su2"
# the SU Cluster reaches both SUs through the global data within ~2 s of 'lab up'
wait_until 30 "LM possible" lm_possible
sdf su1 '/CHECK-VM-MIGRATION VM-ID=G1,SERVER-UNIT-NAME=*UNIQUE'
echo
n_before=$("$SECTL" console su1 --vm G1 | grep -oE 'GUEST n=[0-9]+' | tail -n 1 | cut -d= -f2)
run vm migrate G1 --to su2
echo
echo "Before the LM su1's console showed n=$n_before (the guest counts on while the LM is set"
echo "up; su1 has no VM G1 any more); on su2 the counter goes on without a new boot:"
wait_until 60 "counter on su2's console" console_has su2 'GUEST n=[0-9]+ check=ok' 3
show_console su2 4
if "$SECTL" console su2 --vm G1 | grep -q 'GUEST READY'; then
	echo "demo: G1 booted again on su2" >&2
	exit 1
fi
echo
run systems

say "kill -9 the Master MU's secd: another MU takes over"
master=$(field 'd["master_mu"]' cluster status)
echo "The Master MU is $master."
t_kill=$(now_ns)
run lab kill --dir "$lab" "$master"
wait_until 60 "new Master MU" master_is_not "$master"
new=$(field 'd["master_mu"]' cluster status)
t_new=$(now_ns)
# the start of the new master's belief (DATA_DIR/master.log: B unit incarnation term start t)
t_lease=$(awk -v k="$t_kill" '$1 == "B" && $5 > k {print $5; exit}' "$lab/units/$new/data/master.log")
echo "Master MU: $new. It took over the master lease on the CRD $(secs "$t_lease" "$t_kill") s after the kill;"
echo "the API names it $(secs "$t_new" "$t_kill") s after the kill (a new Master MU publishes its first"
echo "status once every unit has answered its heartbeat or missed hb_misses of them)."
wait_until 60 "'Master MU changed' event" events_with "Master MU changed" 1
run cluster status
echo
run events --text "Master MU" --limit 5
echo
echo "Start $master again (a new incarnation; it catches up with what it missed):"
run lab start --dir "$lab" "$master"
wait_until 60 "NORMAL cluster status" status_is NORMAL

say "su2 fails: kill -9 of its secd, its guard and the guest's QEMU"
t_kill=$(now_ns)
run lab kill --dir "$lab" su2
echo
echo "At once, su1 refuses to take G1 over: su2's alive message on the CRD is still young."
refused vm recover G1 --from su2
wait_until 60 "SU Cluster in ERROR" suc_is ERROR
echo
run sucluster show SUC1
echo
echo "Once su2's alive message is older than its dead bound, su1 takes G1's definition over:"
wait_until 120 "dead verdict on su2" verdict_is su2 dead
run units
echo
run vm recover G1 --from su2
echo "(RECOVER accepted $(secs "$(now_ns)" "$t_kill") s after the kill)"
seq=$(console_seq su1)
sdf su1 '/ACTIVATE-VM-DEFINITION VM-NAME=G1'
sdf su1 '/START-VM IPL-UNIT=A000,VM-ID=G1'
echo
echo "G1 boots again on su1 and continues from the counter on its marker disk A001:"
wait_until 60 "G1 booted on su1" console_has su1 'GUEST READY' 1 "$seq"
wait_until 60 "counter on su1's console" console_has su1 'GUEST n=[0-9]+ check=ok' 3 "$seq"
printf '$ sectl console su1 --vm G1 --after %s | head -n 4\n' "$seq"
"$SECTL" console su1 --vm G1 --after "$seq" | head -n 4
echo
echo "su2 comes back: it reads su1's region before it serves and drops its own copy of G1."
run lab start --dir "$lab" su2
wait_until 60 "su2 dropping its copy" events_with "dropped: another SU owns it" 1
wait_until 60 "NORMAL SU Cluster" suc_is NORMAL
wait_until 60 "the event of SUC1 back to NORMAL" events_with "'SUC1' changed from 'ERROR' to 'NORMAL'" 1
run systems

say "what happened: the event log and the audit log"
run events --limit 25
echo
run audit

say "stop the lab"
run lab down --dir "$lab"
up=0
left=$(leftovers)
[ -z "$left" ] || { echo "demo: still running: $(echo $left)" >&2; exit 1; }
ok=1
echo
echo "demo: done in $((SECONDS - t_start)) s; nothing of the lab runs"
