#!/usr/bin/python3
"""bench/lab-idle — the CPU a quiet lab's daemons use, per daemon, for one or more builds in
one run (docs/benchmarks.md "The lab's idle CPU").

    bench/lab-idle.py [--build build[,OTHER_BUILD...]] [--seconds 20] [--repeat 3]
                      [--profile lab]

Per build and repeat: `sectl lab up --servers 2 --mus-per-server 1 --sus-per-server 1
--su-cluster --profile P` in a temporary folder (no guest), 5 s to settle, then the CPU
time of every daemon of the lab (each secd, sec-guard and fake watchdog: the processes
whose command line names the lab's folder; every thread's time on a CPU from
/proc/PID/task/*/schedstat, ns) over --seconds; then `sectl lab down` (every process ended
by its PID). The builds take turns (build 1, build 2, build 1, ...), so a change in the
machine's load falls on both. Prints per build the medians in ms of CPU per second of
wall time: per daemon and the lab's total. With two builds (before, after a change) that
is the change's effect as a ratio in one run. The lab is what bench/lm runs its
migrations beside: on two cores, the lab's CPU is taken from the QEMUs. By hand; not a
test."""
import argparse, importlib.util, json, os, statistics, subprocess, sys, tempfile, time, shutil

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# bench/cm-cpu.py's proc(): a process's CPU from every thread's schedstat (and its RSS)
_spec = importlib.util.spec_from_file_location("cm_cpu", os.path.join(HERE, "cm-cpu.py"))
cm_cpu = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cm_cpu)


def cpu_ns(pid):
    return cm_cpu.proc(pid)[0] * 1e9


def daemons(labdir):
    """{pid: "secd:mu1"...}: this lab's daemons (command line names the folder; no QEMU)."""
    out = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().decode(errors="replace")
            with open(f"/proc/{pid}/comm") as f:
                comm = f.read().strip()
        except OSError:
            continue
        if labdir in cmd and "qemu-system" not in comm:
            unit = cmd.split("/units/")[1].split("/")[0] if "/units/" in cmd else "?"
            out[int(pid)] = f"{comm}:{unit}"
    return out


def one(build, seconds, profile):
    """{daemon: ms of CPU per s} of one quiet lab of this build."""
    sectl = os.path.join(build, "src/sectl/sectl")
    tmp = tempfile.mkdtemp(prefix="bench-idle-")
    labdir = os.path.join(tmp, "lab")
    env = dict(os.environ, SECTL_CONFIG=os.path.join(labdir, "sectl.conf"))
    try:
        subprocess.run([sectl, "lab", "up", "--dir", labdir, "--servers", "2",
                        "--mus-per-server", "1", "--sus-per-server", "1", "--su-cluster",
                        "--profile", profile], check=True, env=env, capture_output=True,
                       timeout=180)
        time.sleep(5)  # pacing: the lab's start is over, not a synchronization
        procs = daemons(labdir)
        a = {p: cpu_ns(p) for p in procs}
        t0 = time.monotonic()
        time.sleep(seconds)  # the measured interval itself
        b = {p: cpu_ns(p) for p in procs}
        wall = time.monotonic() - t0
        out = {}
        for p, name in procs.items():
            out[name] = out.get(name, 0) + (b[p] - a[p]) / 1e6 / wall
        return out
    finally:
        subprocess.run([sectl, "lab", "down", "--dir", labdir], env=env, capture_output=True,
                       timeout=180)
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"),
                    help="build folder(s), comma separated (default build)")
    ap.add_argument("--seconds", type=float, default=20, help="measured interval, s")
    ap.add_argument("--repeat", type=int, default=3, help="labs per build (default 3)")
    ap.add_argument("--profile", default="lab", help="the lab's timing profile")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    builds = a.build.split(",")
    runs = {b: [] for b in builds}
    for _ in range(a.repeat):
        for b in builds:
            runs[b].append(one(b, a.seconds, a.profile))
    result = {}
    for b in builds:
        names = sorted({n for r in runs[b] for n in r})
        med = {n: round(statistics.median(r.get(n, 0) for r in runs[b]), 1) for n in names}
        med["total"] = round(statistics.median(sum(r.values()) for r in runs[b]), 1)
        result[b] = med
    if a.json:
        print(json.dumps(result, indent=1))
        return
    print(f"load average {os.getloadavg()[0]:.2f}; ms of CPU per second, median of {a.repeat}")
    for b in builds:
        print(f"{b}: " + ", ".join(f"{n} {v}" for n, v in result[b].items()))
    if len(builds) == 2 and result[builds[0]]["total"]:
        print(f"total ratio {builds[1]} / {builds[0]}: "
              f"{result[builds[1]]['total'] / result[builds[0]]['total']:.2f}")


if __name__ == "__main__":
    main()
