#!/usr/bin/python3
"""bench/su-guests — a Server Unit running demo guests on a real lab (issue 4 "What it must
show"; docs/benchmarks.md).

    bench/su-guests.py [--guests 10] [--runs 10] [--build build]

1. /START-VM to the guest's ready line under TCG: for --runs guests one after the other,
   the time from issuing `sectl sdf su1 '/START-VM ...'` (the VM INIT-ONLY, its QEMU paused)
   to the `GUEST READY` line appearing in the VM's console file (polled every 2 ms), and the
   time the command itself took. Whole processes: sectl -> MU -> SU -> QMP cont -> guest.
2. Resident memory (VmRSS) of the SU's secd and sec-guard with --guests idle guests running,
   next to one QEMU's and an idle SU's (no guests) in the same run.
Not a test: prints numbers.
"""
import argparse, json, os, statistics, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../tests/fault"))


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--guests", type=int, default=10)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--build", default=os.path.join(HERE, "../build"))
    a = ap.parse_args()
    os.environ["SECLUSTER_BUILD"] = os.path.abspath(a.build)
    from cluster_lab import Lab
    from lab import wait_for

    def sdf(lb, cmd):
        r = lb.sectl("sdf", "su1", cmd, "--json")
        res = json.loads(r.stdout)
        assert res["ok"], res
        return res

    with tempfile.TemporaryDirectory(prefix="su-guests-") as d:
        lb = Lab(d, servers=1, mus=1, sus=1, profile="lab")
        try:
            lb.sectl("login", "--password-file", os.path.join(lb.dir, "admin.password"))
            wait_for(lambda: lb.sectl("sdf", "su1", "/SHOW-VM-RESOURCES").returncode == 0, 30,
                     "the SU serving")
            su = lb.unit("su1")
            secd_idle = rss_kib(su["pid"])
            guard_idle = rss_kib(su["guard"]["pid"])
            data = os.path.join(lb.dir, "units", "su1", "data")
            start, cmd_s = [], []
            n = max(a.guests, a.runs)
            assert n <= 14, "the lab has A002..A00F for guests"
            image = open(os.path.join(lb.dir, "disks", "A000.img"), "rb").read()
            for i in range(n):
                # each guest its own IPL disk (exclusive), a copy of the demo guest; no marker
                name, idx, ipl = f"G{i}", i + 2, f"A00{i + 2:X}"
                with open(os.path.join(lb.dir, "disks", ipl + ".img"), "r+b") as f:
                    f.write(image)
                sdf(lb, f"/CREATE-VM-DEFINITION VM-NAME={name},VM-INDEX={idx},MEMORY-SIZE=32,"
                        f"DEVICES=*PARAMETERS(UNITS=({ipl}))")
                sdf(lb, f"/ACTIVATE-VM-DEFINITION VM-NAME={name}")
                con = os.path.join(data, "vm", str(idx), "console.log")
                t0 = time.monotonic()
                sdf(lb, f"/START-VM IPL-UNIT={ipl},VM-ID={name}")
                t1 = time.monotonic()
                wait_for(lambda: os.path.exists(con) and b"GUEST READY" in open(con, "rb").read(),
                         30, f"{name} ready", interval=0.002)
                t2 = time.monotonic()
                if i < a.runs:
                    start.append(t2 - t0)
                    cmd_s.append(t1 - t0)
            time.sleep(3)  # let the guests settle into idle before reading memory
            su = lb.unit("su1")
            secd = rss_kib(su["pid"])
            guard = rss_kib(su["guard"]["pid"])
            qemus = [rss_kib(p) for p in su["guard"].get("qemu_pids", [])]
            print(f"/START-VM -> GUEST READY ({a.runs} runs, TCG, 32 MiB guests): median "
                  f"{statistics.median(start) * 1000:.0f} ms, p90 {pct(start, 90) * 1000:.0f} ms, "
                  f"max {max(start) * 1000:.0f} ms; the command itself: median "
                  f"{statistics.median(cmd_s) * 1000:.0f} ms")
            print(f"resident memory with {n} idle guests: secd {secd / 1024:.1f} MiB "
                  f"(idle SU without guests {secd_idle / 1024:.1f} MiB), sec-guard "
                  f"{guard / 1024:.1f} MiB (without guests {guard_idle / 1024:.1f} MiB); one "
                  f"QEMU {statistics.median(qemus) / 1024:.1f} MiB (median of {len(qemus)}); "
                  f"ratio secd / QEMU {secd / statistics.median(qemus):.2f}")
        finally:
            lb.down()


if __name__ == "__main__":
    main()
