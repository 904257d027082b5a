#!/usr/bin/python3
"""bench/cm-cpu — the Cluster Manager's CPU use with N units at 1 Hz (issue 3 "What it must
show"; docs/benchmarks.md).

    bench/cm-cpu.py [--units 64] [--seconds 60] [--repeat 3] [--profile lab] [--build build]

A lab of 2 SE Servers with 1 MU each (`sectl lab up --sim-units N-2`): the two real secd
MUs and N-2 simulated units, which are in the topology (region 0) like any unit and whose
network heartbeat bench/hb-sim answers (one libuv loop, one UDP responder per unit). Once
every unit is NORMAL, it reads utime+stime and VmRSS of the Master MU's secd (and of the
other MU, and of hb-sim) from /proc at the start and the end of --seconds, and the
heartbeat rounds from the snapshot version. Then the same with 0 simulated units (the
baseline: 2 units), so that the cost per unit is the difference divided by N-2; --repeat
times each, alternating, and the medians (the machine is shared: single runs are noisy).
CPU is the sum of every thread's time on a CPU (/proc/PID/task/*/schedstat, ns).
Prints CPU %, ms of CPU per second per unit, RSS. Every process is ended by its PID
(hb-sim: SIGTERM; the lab: sectl lab down). By hand; not a test.
"""
import argparse, json, os, signal, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../tests/fault"))
from lab import wait_for  # noqa: E402  (the fault tier's: a condition with a deadline)


def proc(pid):
    """(cpu seconds, rss KiB) of pid from /proc: the time every thread ran (schedstat,
    ns; utime + stime of /proc/PID/stat counts 10 ms ticks) and VmRSS."""
    cpu = 0
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{t}/schedstat") as f:
                cpu += int(f.read().split()[0])
        except FileNotFoundError:  # a thread that ended meanwhile
            pass
    cpu /= 1e9
    with open(f"/proc/{pid}/status") as f:
        rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
    return cpu, rss


class Run:
    def __init__(self, a, d, tag, sim):
        self.a, self.bin, self.sim = a, os.path.join(a.build, "src/sectl/sectl"), sim
        self.lab = os.path.join(d, f"lab-{tag}")
        self.env = dict(os.environ, SECTL_CONFIG=os.path.join(self.lab, "sectl.conf"))
        self.hbsim = None

    def sectl(self, *args, check=True):
        r = subprocess.run([self.bin, *args], capture_output=True, text=True, env=self.env,
                           timeout=60)
        if check and r.returncode:
            raise SystemExit(f"cm-cpu: sectl {' '.join(args)}: {r.stdout}{r.stderr}")
        return r

    def status(self):
        r = self.sectl("cluster", "status", "--json", check=False)
        return json.loads(r.stdout) if r.returncode == 0 else None

    def normal(self):
        s = self.status()
        return s and s["status"] == "NORMAL" and len(s["units"]) == 2 + self.sim and \
            all(u["network_heartbeat"] == "NORMAL" for u in s["units"]) and s

    def measure(self):
        a = self.a
        self.sectl("lab", "up", "--dir", self.lab, "--servers", "2", "--mus-per-server", "1",
                   "--sim-units", str(self.sim), "--profile", a.profile)
        try:
            if self.sim:
                self.hbsim = subprocess.Popen([os.path.join(a.build, "bench/hb-sim"), "--lab",
                                               self.lab], stdout=subprocess.PIPE, text=True)
                line = self.hbsim.stdout.readline()
                assert "responders ready" in line, line
            self.sectl("login", "--password-file", os.path.join(self.lab, "admin.password"))
            wait_for(self.normal, 60, f"every one of {2 + self.sim} units NORMAL")
            time.sleep(5)  # past the start: events, the first snapshots
            lab = json.loads(self.sectl("lab", "status", "--dir", self.lab, "--json").stdout)
            master = next(u for u in lab["units"] if u["name"] == lab["master_mu"])
            other = next(u for u in lab["units"] if u["role"] == "MU" and u is not master)
            pids = {"master": master["pid"], "standby": other["pid"]}
            if self.hbsim:
                pids["hb-sim"] = self.hbsim.pid
            v0, t0 = self.status()["version"], time.monotonic()
            c0 = {k: proc(p) for k, p in pids.items()}
            rss_max = {k: c0[k][1] for k in pids}
            while time.monotonic() - t0 < a.seconds:
                time.sleep(min(5, a.seconds - (time.monotonic() - t0)) + 0.001)
                for k, p in pids.items():
                    rss_max[k] = max(rss_max[k], proc(p)[1])
            c1 = {k: proc(p) for k, p in pids.items()}
            dt = time.monotonic() - t0
            end = self.status()
            ok = self.normal()
            out = {"units": 2 + self.sim, "seconds": dt, "versions": end["version"] - v0,
                   "normal_at_end": bool(ok), "master_mu": master["name"]}
            for k in pids:
                out[k] = {"cpu_s": c1[k][0] - c0[k][0],
                          "cpu_pct": 100 * (c1[k][0] - c0[k][0]) / dt,
                          "rss_start_kib": c0[k][1], "rss_end_kib": c1[k][1],
                          "rss_max_kib": rss_max[k]}
            return out
        finally:
            if self.hbsim and self.hbsim.poll() is None:
                self.hbsim.send_signal(signal.SIGTERM)
                tail = self.hbsim.communicate(timeout=10)[0].strip()
                print(f"  ({tail})", flush=True)
            self.sectl("lab", "down", "--dir", self.lab, check=False)


def show(r):
    print(f"{r['units']} units, {r['seconds']:.1f} s, Master MU {r['master_mu']}, "
          f"{r['versions']} snapshots published ({r['versions'] / r['seconds']:.2f}/s), "
          f"{'all NORMAL' if r['normal_at_end'] else 'NOT all NORMAL'} at the end")
    for k in ("master", "standby", "hb-sim"):
        if k in r:
            p = r[k]
            print(f"  {k:8} CPU {p['cpu_s']:6.2f} s = {p['cpu_pct']:5.2f} %   RSS "
                  f"{p['rss_start_kib'] / 1024:.1f} -> {p['rss_end_kib'] / 1024:.1f} MiB "
                  f"(max {p['rss_max_kib'] / 1024:.1f})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--profile", default="lab")
    ap.add_argument("--build", default=os.path.join(HERE, "../build"))
    a = ap.parse_args()
    a.build = os.path.abspath(a.build)
    if not 3 <= a.units <= 130:
        raise SystemExit("cm-cpu: --units is 3..130 (2 MUs + up to 128 simulated units)")
    full, base = [], []
    with tempfile.TemporaryDirectory(prefix="cm-cpu-") as d:
        for k in range(a.repeat):
            for sim, out in ((a.units - 2, full), (0, base)):
                print(f"cm-cpu: run {k + 1}/{a.repeat}: {2 + sim} units ({sim} simulated), "
                      f"{a.seconds:.0f} s ...", flush=True)
                out.append(Run(a, d, f"{k}-{sim}", sim).measure())
                show(out[-1])
    med = statistics.median
    f_pct = med(r["master"]["cpu_pct"] for r in full)
    b_pct = med(r["master"]["cpu_pct"] for r in base)
    s_pct = med(r["standby"]["cpu_pct"] for r in full)
    sb_pct = med(r["standby"]["cpu_pct"] for r in base)
    per_unit_ms = 10 * (f_pct - b_pct) / (a.units - 2)  # 1 % of a core = 10 ms/s
    print(f"medians of {a.repeat}: Master MU secd with {a.units} units at 1 Hz "
          f"{f_pct:.2f} % of one core, with 2 units {b_pct:.2f} %; marginal cost "
          f"{per_unit_ms:.4f} ms of CPU per unit per second ({per_unit_ms / 10:.5f} % of a "
          f"core per unit); the other MU {s_pct:.2f} % ({sb_pct:.2f} % with 2 units); RSS of "
          f"the Master MU {med(r['master']['rss_max_kib'] for r in full) / 1024:.1f} MiB "
          f"(2 units: {med(r['master']['rss_max_kib'] for r in base) / 1024:.1f} MiB)")


if __name__ == "__main__":
    main()
