#!/usr/bin/python3
"""bench/recovery — from the outage of a whole SU to /RECOVER-VM-DEFINITION accepted on its
partner, and to the guest running there, per timing profile (issue 7 "What it must show";
seed 5; crd.md §4-§6, §8; docs/benchmarks.md "SU outage: RECOVER").

    bench/recovery.py [--profiles test,lab] [--runs 20] [--build build] [--poll-ms 50]
                      [--json]

Per profile one lab in a temporary directory (`sectl lab up --servers 2 --mus-per-server 1
--sus-per-server 1 --su-cluster --faults --profile P`, tests/fault/lmlab.make_lab), ended
by `sectl lab down`. The dead bound and the renew interval are what su1 advertises in its
alive message (`sectl crd inspect`). Each run:

  1. a demo guest Rn (VM index 3, units A000,A001) is defined, activated and started on
     su1 and counts twice on its console;
  2. t0 = CLOCK_MONOTONIC right before `sectl lab kill --dir D su1` (kill -9 of su1's secd,
     guard, fake watchdog and QEMU: the whole SU);
  3. `POST /api/v1/sus/su2/recover {"vm": "Rn", "from": "su1"}` through mu1 every --poll-ms
     until it answers VMS2340 (each refusal must be VMS2344): (a) = t0 -> that answer;
  4. /ACTIVATE-VM-DEFINITION and /START-VM on su2; (b) = t0 -> the first report line of
     the guest on su2's console (polled every 100 ms);
  5. `sectl lab start --dir D su1`; wait until su1 serves VM2000 commands and no longer
     has Rn (its rejoin drops the superseded copy before it serves); the run intervals of
     both SUs' runs.log never overlap (testing.md "Guest running twice"); Rn removed.

Whole-process figures: (a) includes one HTTP round trip of the poll and up to one poll
interval; (b) includes the guest's boot under TCG. A run where (a) < dead_bound -
renew_interval is a VIOLATION (printed loudly and counted): RECOVER must never be possible
before the dead bound of crd.md §4 (one renew interval of slack: su1's last renewal may
precede t0 by up to one). Printed per profile: median and p99 (nearest rank) of (a) and
(b), min of (a), the dead bound, violations, guests seen running twice, failed runs with
their reason. By hand; not a test (not in `make check`). Processes are ended by their PID
(`sectl lab down`, `sectl lab kill`)."""
import argparse, importlib.util, json, os, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

VM_INDEX = 3


def load_p99():
    spec = importlib.util.spec_from_file_location("lm_bare", os.path.join(HERE, "lm-bare.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.p99


def recover_until_accepted(lab, mu, vm, poll_s, timeout=60):
    """Polls RECOVER of vm from su1 on su2 through mu's API; returns the CLOCK_MONOTONIC ns of
    the accepting answer. Raises on any answer other than VMS2344 or VMS2340."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        st, b = lab.call(mu, "POST", "/api/v1/sus/su2/recover", {"vm": vm, "from": "su1"},
                         timeout=30)
        t = time.monotonic_ns()
        msgs = "\n".join(b.get("messages", [])) if st == 200 else json.dumps(b)
        if st == 200 and b.get("ok"):
            if "VMS2340" not in msgs:
                raise RuntimeError(f"RECOVER ok without VMS2340: {msgs}")
            return t
        if "VMS2344" not in msgs:
            raise RuntimeError(f"RECOVER answered HTTP {st}: {msgs}")
        time.sleep(poll_s)
    raise RuntimeError(f"RECOVER of {vm} not accepted within {timeout} s")


def bring_back_su1(lab, vm, sectl_bin):
    """`sectl lab start` of su1; waits until it serves and has dropped its copy of vm."""
    from lab import wait_for
    from lmlab import sdf, vms
    r = subprocess.run([sectl_bin, "lab", "start", "--dir", lab.dir, "su1"],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(f"lab start su1: {r.stdout}{r.stderr}")
    wait_for(lambda: sdf(lab, "su1", "/SHOW-VM-RESOURCES")[0] == 0, 120, "su1 serving again",
             interval=0.1)
    wait_for(lambda: vm not in vms(lab, "su1"), 60, f"su1 dropped {vm}", interval=0.1)


def one_run(lab, mu, vm, poll_s, sectl_bin):
    """One outage; returns {"recover_s", "running_s", "twice"}."""
    from lab import wait_for
    from lmlab import ok, start_guest, killed_whole, last_n, assert_never_twice
    start_guest(lab, "su1", vm, VM_INDEX)
    t0, exited = killed_whole(lab, "su1", VM_INDEX)
    try:
        t_a = recover_until_accepted(lab, mu, vm, poll_s)
        ok(lab, "su2", f"/ACTIVATE-VM-DEFINITION VM-NAME={vm}")
        ok(lab, "su2", f"/START-VM IPL-UNIT=A000,VM-ID={vm}")
        wait_for(lambda: last_n(lab, "su2", vm) >= 1, 120, f"{vm} reporting on su2",
                 interval=0.1)
        t_b = time.monotonic_ns()
    finally:
        bring_back_su1(lab, vm, sectl_bin)
    try:
        assert_never_twice(lab, [exited])
        twice = None
    except AssertionError as e:
        twice = str(e)
    return {"recover_s": (t_a - t0) / 1e9, "running_s": (t_b - t0) / 1e9, "twice": twice}


def bench_profile(profile, runs, poll_s, sectl_bin, p99, loud):
    from lmlab import make_lab, remove_guest, slot
    with tempfile.TemporaryDirectory(prefix=f"bench-recovery-{profile}-") as d:
        lab = make_lab(d, profile=profile)
        try:
            adv = slot(lab, "su1")
            bound_s, renew_s = adv["dead_bound_ms"] / 1e3, adv["timing"]["renew_ms"] / 1e3
            mu = lab.unit("mu1")
            res, failed, violations, twice = [], [], 0, []
            for n in range(1, runs + 1):
                vm = f"R{n}"
                try:
                    r = one_run(lab, mu, vm, poll_s, sectl_bin)
                except Exception as e:  # a failed run is reported, the next one goes on
                    failed.append(f"{vm}: {e}")
                    loud(f"{profile} run {n}: FAILED: {e}")
                    r = None
                remove_guest(lab, vm)
                if r is None:
                    continue
                res.append(r)
                note = ""
                if r["recover_s"] < bound_s - renew_s:
                    violations += 1
                    note = (f"  *** VIOLATION: RECOVER {r['recover_s']:.3f} s after the kill, "
                            f"earlier than dead_bound - renew = {bound_s - renew_s:.1f} s ***")
                if r["twice"]:
                    twice.append(r["twice"])
                    note += f"  *** GUEST RAN TWICE: {r['twice']} ***"
                loud(f"{profile} run {n}: RECOVER {r['recover_s']:.2f} s, guest on su2 "
                     f"{r['running_s']:.2f} s{note}")
        finally:
            lab.down()
    a = [r["recover_s"] for r in res]
    b = [r["running_s"] for r in res]
    row = {"profile": profile, "runs": runs, "completed": len(res),
           "dead_bound_s": bound_s, "renew_s": renew_s, "violations": violations,
           "ran_twice": len(twice), "failed": failed}
    if res:
        row.update({"recover_s": {"median": statistics.median(a), "p99": p99(a), "min": min(a)},
                    "running_s": {"median": statistics.median(b), "p99": p99(b),
                                  "min": min(b)}})
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--profiles", default="test,lab")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--poll-ms", type=int, default=50, help="RECOVER poll interval")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    os.environ["SECLUSTER_BUILD"] = os.path.abspath(a.build)
    sys.path.insert(0, os.path.join(ROOT, "tests/fault"))
    sectl_bin = os.path.join(os.path.abspath(a.build), "src/sectl/sectl")
    p99 = load_p99()

    def loud(line):
        print(line, file=sys.stderr if a.json else sys.stdout, flush=True)

    out = []
    for profile in a.profiles.split(","):
        row = bench_profile(profile, a.runs, a.poll_ms / 1e3, sectl_bin, p99, loud)
        out.append(row)
        if not a.json:
            print(f"profile {profile}: {row['completed']}/{row['runs']} runs, dead_bound "
                  f"{row['dead_bound_s']:.1f} s (renew {row['renew_s']:.1f} s), violations "
                  f"{row['violations']}, ran twice {row['ran_twice']}", flush=True)
            for key, what in (("recover_s", "kill -> RECOVER accepted"),
                              ("running_s", "kill -> guest reporting on su2")):
                if key in row:
                    s = row[key]
                    print(f"  {what}: median {s['median']:.2f} s, p99 {s['p99']:.2f} s, "
                          f"min {s['min']:.2f} s", flush=True)
            for f in row["failed"]:
                print(f"  failed: {f}", flush=True)
    if a.json:
        print(json.dumps(out, indent=1))
    bad = sum(r["violations"] + r["ran_twice"] for r in out)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
