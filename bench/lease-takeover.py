#!/usr/bin/env python3
"""bench/lease-takeover: master-lease takeover after kill -9 of the holder, per timing profile.

For each run: three crd-contender processes on a fresh external CRD file; once a master is
elected and has renewed for a while, kill -9 it; takeover = start of the next master's belief
(logged by that process on CLOCK_MONOTONIC) minus the moment of the kill (CLOCK_MONOTONIC
here). Runs go in parallel groups on separate CRD files. Prints median, p99 and max next to
crd.md §8's formula lease + claim + 2 x renew.

  bench/lease-takeover.py [--profile test|lab|production] [--runs 50] [--parallel 10]
"""
import argparse, concurrent.futures, os, statistics, sys, tempfile, time
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../tests/fault"))
from lab import Contender, format_set, read_log, wait_for  # noqa: E402

FORMULA = {"test": 1.2 + 0.6 + 2 * 0.2, "lab": 2 + 0.8 + 2 * 0.5, "production": 35 + 20 + 2 * 2}
LEASE = {"test": 1.2, "lab": 2.0, "production": 35.0}


def one(profile):
    with tempfile.TemporaryDirectory(prefix="sec-bench-") as d:
        disks = format_set(d, 1)
        log = os.path.join(d, "beliefs.log")
        cs = [Contender(d, u, disks, log, devcount=False, profile=profile) for u in (1, 2, 3)]
        try:
            for c in cs:
                c.start()
            first = wait_for(lambda: read_log(log)[0], 10 * LEASE[profile], "a master")[0]
            # let it renew for a lease time so that the takeover starts from a steady state
            time.sleep(LEASE[profile])
            m = next(c for c in cs if c.unit == first[2])
            t_kill = time.monotonic_ns()
            m.kill9()
            nxt = wait_for(lambda: [i for i in read_log(log)[0] if i[2] != m.unit and i[0] > t_kill],
                           10 * FORMULA[profile], "a new master")[0]
            return (nxt[0] - t_kill) / 1e9
        finally:
            for c in cs:
                c.terminate()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", default="test")
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--parallel", type=int, default=10)
    a = ap.parse_args()
    with concurrent.futures.ThreadPoolExecutor(a.parallel) as ex:
        xs = sorted(ex.map(lambda _: one(a.profile), range(a.runs)))
    p99 = xs[min(len(xs) - 1, int(round(0.99 * (len(xs) - 1))))]
    print(f"profile {a.profile}: {len(xs)} runs: median {statistics.median(xs):.2f} s, "
          f"p99 {p99:.2f} s, max {xs[-1]:.2f} s; formula lease + claim + 2 x renew = "
          f"{FORMULA[a.profile]:.1f} s")


if __name__ == "__main__":
    main()
