#!/usr/bin/env bash
# bench/soak-cluster.sh — a long run of a quiet 2 x 2 lab (issue 3 "What it must show": a
# 1-hour soak with zero false step-downs and zero NOT_ACCESSIBLE flaps; docs/benchmarks.md).
#
#   bench/soak-cluster.sh [--duration SECONDS] [--profile lab|test] [--interval SECONDS]
#                         [--dir DIR] [--build DIR]
#
# Starts `sectl lab up` (2 SE Servers x 2 MUs, profile lab by default), logs in, and then
# only watches for --duration seconds (default 3600): every --interval seconds (default 5)
# it samples the Master MU (`sectl lab status --json`: the holder of the CRD master lease)
# and the cluster status (`sectl cluster status --json`). At the end it counts, from what
# the product itself recorded:
#   * belief intervals: distinct (unit, incarnation, start) in every MU's data/master.log
#     (secd writes one line per lease renewal while it believes it is the Master MU);
#     a quiet cluster has exactly 1, so false step-downs = intervals - 1;
#   * master changes seen by the sampler, and samples whose status was not NORMAL;
#   * events (`sectl events --text T --json`, the "total" of the filter) that name
#     NOT_ACCESSIBLE or "Master MU", and every WARNING-or-worse event;
#   * whether every secd still runs, and each one's CPU time and RSS (start / end);
# prints a summary and stops the lab by PID (`sectl lab down`, also on Ctrl-C or an error).
# Exit status 0 when the soak was quiet (no false step-down, no NOT_ACCESSIBLE event,
# every unit running at the end), 1 otherwise. By hand; never part of make check.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
duration=3600 profile=lab interval=5 dir="" build="$HERE/../build"
while [ $# -gt 0 ]; do
	case "$1" in
	--duration) duration=$2; shift 2 ;;
	--profile) profile=$2; shift 2 ;;
	--interval) interval=$2; shift 2 ;;
	--dir) dir=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	*) echo "usage: $0 [--duration S] [--profile lab|test] [--interval S] [--dir DIR] [--build DIR]" >&2
	   exit 2 ;;
	esac
done
SECTL=$(cd "$build" && pwd)/src/sectl/sectl
[ -x "$SECTL" ] || { echo "soak: no sectl at $SECTL (build first)" >&2; exit 2; }
if [ -n "$dir" ]; then mkdir -p "$dir"; else dir=$(mktemp -d /tmp/soak-cluster.XXXXXX); fi
lab="$dir/lab"
export SECTL_CONFIG="$lab/sectl.conf"
up=0
cleanup() {
	[ "$up" = 1 ] && "$SECTL" lab down --dir "$lab" | sed 's/^/  /'
	up=0
}
trap cleanup EXIT
trap 'echo "soak: interrupted"; exit 1' INT TERM

ts() { date -u +%Y-%m-%dT%H:%M:%SZ; }
json() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
# "pid cpu_seconds rss_kib" of every running unit, one per line, from /proc
proc_stats() {
	"$SECTL" lab status --dir "$lab" --json | json '"\n".join("%s %d" % (u["name"], u["pid"]) for u in d["units"])' |
	while read -r name pid; do
		if [ -r "/proc/$pid/stat" ]; then
			read -r -a f < <(sed 's/.*) //' "/proc/$pid/stat")
			# fields after "comm": [11] utime [12] stime (clock ticks)
			cpu=$(( (f[11] + f[12]) ))
			rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
			echo "$name $pid $cpu $rss"
		else
			echo "$name $pid gone gone"
		fi
	done
}

echo "soak: $(ts) lab up in $lab (2 SE Servers x 2 MUs, profile $profile), $duration s"
"$SECTL" lab up --dir "$lab" --servers 2 --mus-per-server 2 --profile "$profile" | sed 's/^/  /'
up=1
"$SECTL" login --password-file "$lab/admin.password" | sed 's/^/  /'
deadline=$((SECONDS + 60))
until [ "$("$SECTL" cluster status --json 2>/dev/null | json 'd["status"]' 2>/dev/null)" = NORMAL ]; do
	[ $SECONDS -lt $deadline ] || { echo "soak: the cluster is not NORMAL after 60 s"; exit 1; }
	sleep 0.5
done
start_stats=$(proc_stats)
hz=$(getconf CLK_TCK)
t_start=$SECONDS
samples=0 changes=0 not_normal=0 failed=0
master=$("$SECTL" lab status --dir "$lab" --json | json 'd["master_mu"]')
echo "soak: $(ts) NORMAL, Master MU $master; sampling every $interval s"
while [ $((SECONDS - t_start)) -lt "$duration" ]; do
	sleep "$interval"
	samples=$((samples + 1))
	m=$("$SECTL" lab status --dir "$lab" --json | json 'd["master_mu"]') || m="?"
	s=$("$SECTL" cluster status --json 2>/dev/null | json 'd["status"]' 2>/dev/null) || s="unanswered"
	if [ "$m" != "$master" ]; then
		changes=$((changes + 1))
		echo "soak: $(ts) Master MU changed: $master -> $m"
		master=$m
	fi
	if [ "$s" != NORMAL ]; then
		not_normal=$((not_normal + 1))
		echo "soak: $(ts) cluster status $s"
	fi
	if [ $((samples % 120)) = 0 ]; then
		echo "soak: $(ts) $((SECONDS - t_start)) s: $samples samples, $changes master changes, $not_normal not NORMAL"
	fi
done
elapsed=$((SECONDS - t_start))
end_stats=$(proc_stats)

# belief intervals of every MU (B/E unit incarnation term start t)
intervals=$(cat "$lab"/units/*/data/master.log 2>/dev/null | awk 'NF == 6 && ($1 == "B" || $1 == "E") {print $2, $3, $5}' | sort -u | wc -l)
count() { "$SECTL" events "$@" --limit 1 --json | json 'd["total"]'; }
na=$(count --text NOT_ACCESSIBLE)
mm=$(count --text "Master MU")
warn=$(count --weight WARNING)
all=$("$SECTL" events --limit 1 --json | json 'd["all"]')
stepdown_lines=$(cat "$lab"/units/*/secd.log | grep -c "no longer Master MU" || true)

echo
echo "soak summary: profile $profile, 2 SE Servers x 2 MUs, $elapsed s, $samples samples every $interval s"
echo "  belief intervals (master.log, all MUs)   $intervals   (false step-downs: $((intervals > 0 ? intervals - 1 : 0)))"
echo "  'no longer Master MU' lines in secd logs $stepdown_lines"
echo "  master changes seen by the sampler       $changes"
echo "  samples with cluster status not NORMAL   $not_normal"
echo "  events naming NOT_ACCESSIBLE             $na"
echo "  events naming 'Master MU'                $mm"
echo "  events WARNING or worse                  $warn (of $all events)"
echo "  per unit: pid, CPU s (start -> end), CPU % over the soak, RSS KiB (start -> end)"
while read -r name pid cpu rss; do
	read -r _ _ cpu1 rss1 < <(grep "^$name " <<<"$end_stats")
	if [ "$cpu1" = gone ]; then
		failed=1
		echo "    $name $pid NOT RUNNING at the end"
		continue
	fi
	awk -v n="$name" -v p="$pid" -v c0="$cpu" -v c1="$cpu1" -v r0="$rss" -v r1="$rss1" \
		-v hz="$hz" -v t="$elapsed" 'BEGIN { printf "    %-4s %-7s %7.1f -> %7.1f s  %5.2f %%  %6d -> %6d\n",
		n, p, c0 / hz, c1 / hz, 100 * (c1 - c0) / hz / t, r0, r1 }'
done <<<"$start_stats"
quiet=1
[ "$intervals" -le 1 ] && [ "$na" = 0 ] && [ "$failed" = 0 ] || quiet=0
echo "soak: $(ts) $([ $quiet = 1 ] && echo QUIET || echo NOT QUIET); stopping the lab"
cleanup
echo "soak: heartbeat counters each secd logged at its stop:"
grep -h "network heartbeat:" "$lab"/units/*/secd.log | sed 's/^/  /' || true
echo "soak: files and logs stay in $dir"
[ $quiet = 1 ]
