#!/usr/bin/python3
"""bench/failover — Master MU takeover after kill -9 of the master's secd, on a real lab
(issue 3 "What it must show"; docs/benchmarks.md).

    bench/failover.py --profile lab --runs 30 [--servers 2 --mus-per-server 2] [--build build]

Each run: wait until every MU reports NORMAL and one master, kill -9 the master's secd
(time t0 on CLOCK_MONOTONIC), and take the start of the next belief interval of another MU
from its DATA_DIR/master.log (CLOCK_MONOTONIC, written by secd when it becomes master) as
the takeover time; also the time until every surviving MU's API names the new master. The
killed secd is restarted before the next run. Prints median and p99 of both; not a test.
"""
import argparse, os, signal, statistics, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../tests/fault"))


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", default="lab")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--servers", type=int, default=2)
    ap.add_argument("--mus-per-server", type=int, default=2)
    ap.add_argument("--build", default=os.path.join(HERE, "../build"))
    a = ap.parse_args()
    os.environ["SECLUSTER_BUILD"] = os.path.abspath(a.build)
    from cluster_lab import Lab, master_of, read_master_logs
    from lab import wait_for

    takeover, visible = [], []
    with tempfile.TemporaryDirectory(prefix="failover-") as d:
        lb = Lab(d, servers=a.servers, mus=a.mus_per_server, profile=a.profile)
        try:
            mus = lb.units("MU")
            for run in range(a.runs):
                old = wait_for(lambda: master_of(lb, mus), 120, "one master")
                old_unit = lb.unit(old)["unit_id"]
                wait_for(lambda: all(s and s["status"] == "NORMAL" for s in
                                     (lb.try_status(u) for u in mus)), 120, "NORMAL")
                t0 = time.monotonic_ns()
                os.kill(lb.unit(old)["pid"], signal.SIGKILL)
                survivors = [u for u in mus if u["name"] != old]
                new = wait_for(lambda: (m := master_of(lb, survivors)) not in (None, old) and m,
                               120, "a new master")
                visible.append((time.monotonic_ns() - t0) / 1e9)
                starts = [i[0] for i in read_master_logs(lb) if i[2] != old_unit and i[0] > t0]
                takeover.append((min(starts) - t0) / 1e9)
                print(f"run {run + 1}: {old} -> {new}: lease {takeover[-1]:.2f} s, "
                      f"API {visible[-1]:.2f} s", flush=True)
                lb.restart(old)
        finally:
            lb.down()
    print(f"profile {a.profile}, {a.runs} runs, {a.servers} x {a.mus_per_server} MUs")
    print(f"takeover (kill -9 -> new master holds the lease): median {statistics.median(takeover):.2f} s, "
          f"p99 {pct(takeover, 99):.2f} s")
    print(f"visible (kill -9 -> every surviving MU's API names it): median "
          f"{statistics.median(visible):.2f} s, p99 {pct(visible, 99):.2f} s")


if __name__ == "__main__":
    main()
