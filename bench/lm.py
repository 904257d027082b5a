#!/usr/bin/python3
"""bench/lm — secluster's Live Migration against the same migration driven by bare QMP, in
one run (issue 5 "What it must show"; docs/benchmarks.md "Live Migration").

    bench/lm.py [--sizes 64,512] [--dirty 256,16384] [--runs 5] [--build build] [--json]
                [--raw FILE] [--keep] [--tcg-stop] [--bare-nice 10] [--bare-auto-converge 1]
                [--daemon-nice N] [--memory warm|cold|asis] [--order alternate|secluster-first]

One lab (`sectl lab up --servers 2 --mus-per-server 1 --sus-per-server 1 --su-cluster
--profile lab`) in a temporary directory. Per condition (guest size MiB x dirty rate KiB/s)
both SUs get `[su] ipl_append = marker=A001 report_ms=100 dirty_kib=D ws_kib=W` (the demo
guest's command line, the working set of bench/lm-bare.py) and `lm_tcg_live = true`: the
memory is copied while the guest runs, as the bare script does (without it secluster stops
the guest for the copy under TCG, docs/lm.md; --tcg-stop measures that instead). Each run:
a VM of that size is created on su1, started, reports 3 times, and `sectl vm migrate --json`
moves it to su2 (the LM object gives setup_ms, copy_ms, switchover_ms, pause_ms); then a
bare-QMP LM of the same guest (bench/lm-bare.py run_bare_lm) runs right after it, its two
QEMUs at nice 10 as sec-guard starts secluster's (--bare-nice). Both drivers start from the
same host memory state (--memory, bench/hostmem.py: on this machine memory freed a few
seconds ago costs 10-30 times more to touch again than memory freed just now, and an LM of
a mostly empty guest touches its whole RAM on both sides): "warm" (the default) touches and
frees 2 x size + 256 MiB right before each driver's migration (bare: before its target
QEMU starts, or just before `migrate` with --warm-at migrate; secluster: just before
`sectl vm migrate`, whose target QEMU starts after it),
"cold" waits 5 s there, "asis" does nothing (the runs before session 7, which favoured
whichever driver ran second); and they take turns at going first (--order). Since session
8 bare's step runs before its target QEMU starts (--warm-at target), so that both drivers
start their target QEMU and their `migrate` the same time after it: memory freed ~0.2 s
before may already be back with the host (a streak of such secluster runs had 300 ms
target starts and 0.6-0.9 s pauses; bare, warmed right at `migrate`, was immune);
--warm-at migrate gives session 7's method. "without a
QEMU start" in the output: the overhead minus bare's own target QEMU start, which bare
does before its clock runs (exec to QMP handshake, "bare's" the median of it).

Printed per condition (median [min-max] of the runs; p99 nearest rank = the maximum
below 100 runs), with the load average before and after:
  copy      secluster migrate sent -> the source's MIGRATION{completed} received (secd's
            CLOCK_MONOTONIC, the LM object's copy_ms) vs bare the same interval the same way
            (bench/lm-bare.py, its source with auto-converge as secluster's on an SU x86,
            --bare-auto-converge); copy_ratio = median / median
  overhead  the goal's figure: what secluster adds beyond the copy, i.e. the medians of
            (accepted -> target RESUME) - copy for secluster and (migrate -> RESUME) - copy
            for bare, subtracted: the setup (the target's QEMU start and reservation, the
            unit calls) and the commit before cont; overhead_total_ms subtracts the whole
            intervals (the copies' difference included, the figure of the first two runs)
  pause     STOP -> RESUME, secluster (commit included) and bare (no commit)
  where it goes (the LM object, docs/api.md): setup_ms, prepare_ms, target_reserve_ms,
            switchover_ms = target_load_wait_ms (the target QEMU still loading after the
            source's completed) + target_commit_ms (its CRD write and cont)
and whether every guest went on with check=ok. --raw FILE keeps every run of both drivers;
--daemon-nice N runs the lab's secd threads at nice N (an experiment: are the daemons at
nice 0 what slows the nice-10 QEMUs?).
By hand; not a test. Every process is ended
by its PID (`sectl lab down`, the bare script's kill)."""
import argparse, importlib.util, json, math, os, shutil, statistics, subprocess, sys, tempfile, \
    time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests/lib"))
import guestcheck as gc  # noqa: E402
sys.path.insert(0, HERE)
import hostmem  # noqa: E402

spec = importlib.util.spec_from_file_location("lm_bare", os.path.join(HERE, "lm-bare.py"))
lm_bare = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lm_bare)


def p99(xs):
    xs = sorted(xs)
    return xs[max(0, math.ceil(0.99 * len(xs)) - 1)] if xs else float("nan")


class Lab:
    def __init__(self, build, daemon_nice=None):
        self.daemon_nice = daemon_nice
        self.sectl = os.path.join(build, "src/sectl/sectl")
        self.tmp = tempfile.mkdtemp(prefix="bench-lm-")
        self.dir = os.path.join(self.tmp, "lab")
        self.env = dict(os.environ, SECTL_CONFIG=os.path.join(self.dir, "sectl.conf"))
        self.run("lab", "up", "--dir", self.dir, "--servers", "2", "--mus-per-server", "1",
                 "--sus-per-server", "1", "--su-cluster", "--profile", "lab")
        self.run("login", "--password-file", os.path.join(self.dir, "admin.password"))

    def run(self, *args, check=True, timeout=180):
        r = subprocess.run([self.sectl, *args], capture_output=True, text=True, env=self.env,
                           timeout=timeout)
        if check and r.returncode != 0:
            raise RuntimeError(f"sectl {' '.join(args)}: {r.stdout}{r.stderr}")
        return r

    def sdf(self, su, cmd, check=True):
        return self.run("sdf", su, cmd, check=check)

    def configure(self, lines):
        """Replaces the bench's keys in both SUs' [su] sections and restarts their secd."""
        for su in ("su1", "su2"):
            path = os.path.join(self.dir, "units", su, "secd.conf")
            text = open(path).read().split("# bench/lm\n")[0]
            with open(path, "w") as f:
                f.write(text + "# bench/lm\n" + "".join(l + "\n" for l in lines))
            self.run("lab", "kill", "--dir", self.dir, su, "--only", "secd", "--signal", "TERM")
            self.run("lab", "start", "--dir", self.dir, su)
        self.wait(lambda: all(self.sdf(su, "/SHOW-VM-RESOURCES", check=False).returncode == 0
                              for su in ("su1", "su2")), 60, "both SUs serving")
        if self.daemon_nice is not None:
            self.renice_daemons(self.daemon_nice)

    def wait(self, cond, timeout, what):
        end = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > end:
                raise RuntimeError(f"timed out waiting for {what}")
            time.sleep(0.1)

    def reports(self, su, vm):
        r = self.run("console", su, "--vm", vm, "--json", check=False)
        if r.returncode:
            return []
        text = "\n".join(l["text"] for l in json.loads(r.stdout)["lines"]) + "\n"
        return [x for b in gc.parse_console(text) for x in b["reports"]]

    def clear_consoles(self):
        """Empties every VM console file of both SUs (no QEMU runs: the VMs are deleted).
        The next VM gets the same VM index and so the same file: without this its "3
        reports" were the previous guest's, and a check=BAD of one run counted again in
        every later run."""
        for su in ("su1", "su2"):
            vmdir = os.path.join(self.dir, "units", su, "data", "vm")
            for idx in os.listdir(vmdir) if os.path.isdir(vmdir) else []:
                path = os.path.join(vmdir, idx, "console.log")
                if os.path.exists(path):
                    open(path, "w").close()

    def daemon_pids(self):
        """The PIDs of this lab's daemons (secd, sec-guard, fake watchdog): the processes
        whose command line names the lab's folder, QEMUs left out."""
        pids = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read()
            except OSError:
                continue
            if self.dir.encode() in cmd and b"qemu-system" not in cmd:
                pids.append(int(pid))
        return pids

    def renice_daemons(self, nice):
        """An experiment (--daemon-nice): every secd thread of the lab to nice (threads
        at a real-time priority, the CRD disk threads, are not affected by nice)."""
        for pid in self.daemon_pids():
            try:
                with open(f"/proc/{pid}/comm") as f:
                    if f.read().strip() != "secd":
                        continue
                for tid in os.listdir(f"/proc/{pid}/task"):
                    os.setpriority(os.PRIO_PROCESS, int(tid), nice)
            except OSError:
                continue

    def daemon_cpu_ms(self):
        """CPU time (user + system, ms) used so far by this lab's daemons (every secd,
        sec-guard and fake watchdog whose command line names the lab's folder), not their
        QEMUs: what the orchestration costs the two cores the QEMUs share."""
        tick, total = os.sysconf("SC_CLK_TCK"), 0
        for pid in self.daemon_pids():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    st = f.read().rsplit(")", 1)[1].split()
                total += int(st[11]) + int(st[12])  # utime, stime (fields 14, 15)
            except (OSError, IndexError, ValueError):
                continue
        return total * 1000 / tick

    def down(self, keep=False):
        self.run("lab", "down", "--dir", self.dir, check=False)
        if keep:
            print(f"lab folder kept: {self.dir}", file=sys.stderr)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


def one_lm(lab, size, n, before_migrate=None):
    vm = f"B{n % 1000}"
    lab.sdf("su1", f"/CREATE-VM-DEFINITION VM-NAME={vm},VM-INDEX=*ANY,MEMORY-SIZE={size},"
                   "DEVICES=*PARAMETERS(UNITS=(A000,A001))")
    lab.sdf("su1", f"/ACTIVATE-VM-DEFINITION VM-NAME={vm}")
    lab.sdf("su1", f"/START-VM IPL-UNIT=A000,VM-ID={vm}")
    lab.wait(lambda: len(lab.reports("su1", vm)) >= 3, 120, f"{vm} reporting")
    if before_migrate:
        before_migrate()
    cpu0, child0, t0 = lab.daemon_cpu_ms(), os.times(), time.monotonic()
    r = lab.run("vm", "migrate", vm, "--su", "su1", "--to", "su2", "--json", check=False,
                timeout=300)
    t1, cpu1, child1 = time.monotonic(), lab.daemon_cpu_ms(), os.times()
    lm = json.loads(r.stdout) if r.stdout.strip().startswith("{") else {"state": r.stderr}
    ok = lm.get("state") == "completed"
    if ok:
        before = len(lab.reports("su2", vm))
        try:
            lab.wait(lambda: len(lab.reports("su2", vm)) >= before + 2, 30, f"{vm} on su2")
            ok = all(good for su in ("su1", "su2") for _, good, _ in lab.reports(su, vm))
        except RuntimeError as e:  # a guest that does not go on is a bad guest, not an error
            ok, lm["guest_error"] = False, str(e)
    for su in ("su1", "su2"):
        lab.sdf(su, f"/DELETE-VM VM-ID={vm},CHECK-VM-STATE=*NO", check=False)
        lab.sdf(su, f"/DELETE-VM-DEFINITION VM-NAME={vm}", check=False)
    lab.clear_consoles()
    lm["guest_ok"] = ok
    # CPU used while `sectl vm migrate` ran: the lab's daemons, and sectl itself
    lm["daemon_cpu_ms"] = round(cpu1 - cpu0, 1)
    lm["sectl_wall_ms"] = round((t1 - t0) * 1000, 1)
    lm["sectl_cpu_ms"] = round(1000 * (child1.children_user + child1.children_system -
                                       child0.children_user - child0.children_system), 1)
    return lm


def stats(xs):
    """{"median", "min", "max", "p99", "n"} of the numbers in xs (None and -1 left out)."""
    xs = [x for x in xs if x is not None and x >= 0]
    if not xs:
        return None
    return {"median": round(statistics.median(xs), 1), "min": round(min(xs), 1),
            "max": round(max(xs), 1), "p99": round(p99(xs), 1), "n": len(xs)}


def load():
    """The load averages (1, 5, 15 min) now: other labs run on this machine too."""
    return [round(x, 2) for x in os.getloadavg()]


def summarize(size, dirty, sec, bare, load_before):
    """One condition's row: medians with their spread, the ratio and the overheads."""
    good = [x for x in sec if x.get("state") == "completed"]
    row = {"size_mib": size, "dirty_kib": dirty, "runs": len(sec), "completed": len(good),
           "guest_ok": sum(1 for x in sec if x["guest_ok"]),
           "bare_guest_ok": sum(1 for b in bare if b.get("ok")),
           # why an LM did not complete (its reason, or sectl's stderr)
           "not_completed": [x.get("reason") or x.get("state") for x in sec
                             if x.get("state") != "completed"],
           "load": [load_before, load()]}
    if not good:
        return row
    total = [x["setup_ms"] + x["copy_ms"] + x["switchover_ms"] for x in good]
    row["secluster"] = {k: stats(x.get(k) for x in good) for k in SEC_KEYS}
    row["secluster"]["total_ms"] = stats(total)
    row["secluster"]["beyond_copy_ms"] = stats(t - x["copy_ms"] for t, x in zip(total, good))
    row["bare"] = {k: stats(b.get(k) for b in bare) for k in BARE_KEYS}
    row["bare"]["beyond_copy_ms"] = stats(b["total_ms"] - b["migrate_to_completed_ms"]
                                          for b in bare)
    med = lambda side, k: row[side][k]["median"]  # noqa: E731
    row["copy_ratio"] = round(med("secluster", "copy_ms") / med("bare", "migrate_to_completed_ms"),
                              2)
    # the goal's overhead: what secluster adds beyond the migrate -> completed phase (its
    # setup, its commit before cont), the copies' own difference left out (copy_ratio)
    row["overhead_ms"] = round(med("secluster", "beyond_copy_ms") - med("bare", "beyond_copy_ms"),
                               1)
    # the earlier figure: whole against whole (the copies' difference included)
    row["overhead_total_ms"] = round(med("secluster", "total_ms") - med("bare", "total_ms"), 1)
    # the overhead without the target QEMU's start, which bare does before its clock runs
    # (measured there: exec -> QMP ready)
    row["overhead_without_qemu_start_ms"] = round(row["overhead_ms"] - med("bare", "tgt_start_ms"),
                                                  1)
    return row


SEC_KEYS = ("setup_ms", "prepare_ms", "target_reserve_ms", "target_settle_ms", "copy_ms",
            "switchover_ms",
            "target_load_wait_ms", "target_commit_ms", "pause_ms", "dirty_sync_count",
            "qemu_total_ms",
            "daemon_cpu_ms", "sectl_cpu_ms", "sectl_wall_ms")
BARE_KEYS = ("migrate_to_completed_ms", "total_ms", "pause_ms", "tgt_completed_after_src_ms",
             "cont_to_resume_ms", "tgt_start_ms", "dirty_sync_count", "qemu_total_time_ms")


def line(row):
    """The row in one human line: median [min-max]."""
    if "secluster" not in row:
        return f"{row['size_mib']} MiB {row['dirty_kib']} KiB/s: no LM completed {row}"

    def f(side, k):
        v = row[side][k]
        return f"{v['median']:.0f} [{v['min']:.0f}-{v['max']:.0f}]" if v else "-"
    return (f"{row['size_mib']} MiB {row['dirty_kib']} KiB/s, {row['runs']} runs, memory "
            f"{row['memory']} (bare's at its {row.get('warm_at', 'migrate')}), load "
            f"{row['load'][0][0]}->{row['load'][1][0]}: copy {f('secluster', 'copy_ms')} / bare "
            f"{f('bare', 'migrate_to_completed_ms')} ratio {row['copy_ratio']}; beyond copy "
            f"{f('secluster', 'beyond_copy_ms')} / bare {f('bare', 'beyond_copy_ms')} overhead "
            f"{row['overhead_ms']} (whole {row['overhead_total_ms']}, without a QEMU start "
            f"{row['overhead_without_qemu_start_ms']}: bare's {f('bare', 'tgt_start_ms')}); setup "
            f"{f('secluster', 'setup_ms')} of it target reserve "
            f"{f('secluster', 'target_reserve_ms')} settle {f('secluster', 'target_settle_ms')}; "
            f"pause {f('secluster', 'pause_ms')} p99 "
            f"{row['secluster']['pause_ms']['p99']:.0f} / bare {f('bare', 'pause_ms')} p99 "
            f"{row['bare']['pause_ms']['p99']:.0f}; target load wait "
            f"{f('secluster', 'target_load_wait_ms')} commit {f('secluster', 'target_commit_ms')};"
            f" daemons' CPU {f('secluster', 'daemon_cpu_ms')} ms during `sectl vm migrate` of "
            f"{f('secluster', 'sectl_wall_ms')} ms;"
            f" guest ok {row['guest_ok']}/{row['runs']}, bare {row['bare_guest_ok']}/{row['runs']}")


def main():
    ap = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    ap.add_argument("--sizes", default="64,512",
                    help="guest RAM sizes, MiB, comma separated (default 64,512)")
    ap.add_argument("--dirty", default="256,16384",
                    help="the guest's dirty rates, KiB/s, comma separated (default 256,16384)")
    ap.add_argument("--runs", type=int, default=5,
                    help="LMs of each driver per condition (default 5)")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--raw", help="append every run's data (both drivers) to this file, "
                    "one JSON line each")
    ap.add_argument("--keep", action="store_true", help="keep the lab folder (its logs)")
    ap.add_argument("--tcg-stop", action="store_true",
                    help="secluster's default under TCG: the guest stopped for the copy")
    ap.add_argument("--bare-nice", type=int, default=10,
                    help="nice value of the bare QEMUs (sec-guard runs secluster's at 10)")
    ap.add_argument("--bare-auto-converge", type=int, default=1, choices=(0, 1),
                    help="the bare source's auto-converge (secluster sets it on an SU x86)")
    ap.add_argument("--daemon-nice", type=int, default=None,
                    help="an experiment: the lab's secd threads at this nice value")
    ap.add_argument("--memory", default="warm", choices=hostmem.MODES,
                    help="the host memory state both drivers start from (bench/hostmem.py; "
                    "default warm)")
    ap.add_argument("--order", default="alternate", choices=("alternate", "secluster-first"),
                    help="which driver runs first in each run")
    ap.add_argument("--warm-at", default="target", choices=("target", "migrate"),
                    help="where bare's --memory step runs: before its target QEMU starts "
                    "(default; secluster's runs before `sectl vm migrate`, whose target "
                    "QEMU starts inside the LM) or right before its `migrate` (session 7)")
    a = ap.parse_args()
    lm_bare.lmpair.QEMU_NICE = a.bare_nice
    lab = Lab(a.build, a.daemon_nice)
    out, n = [], 0
    raw = open(a.raw, "a") if a.raw else None
    try:
        for size in [int(x) for x in a.sizes.split(",")]:
            for dirty in [int(x) for x in a.dirty.split(",")]:
                ws = lm_bare.ws_for(size, dirty)
                lab.configure([f"ipl_append = marker=A001 report_ms=100 dirty_kib={dirty} "
                               f"ws_kib={ws}",
                               f"lm_tcg_live = {'false' if a.tcg_stop else 'true'}"])
                sec, bare, before = [], [], load()
                for i in range(a.runs):
                    n += 1
                    bare_first = a.order == "alternate" and i % 2 == 1
                    mem = lambda: hostmem.prepare(a.memory, size)  # noqa: E731
                    hook = {"before_target" if a.warm_at == "target" else "before_migrate": mem}
                    if bare_first:
                        bare.append(lm_bare.run_bare_lm(size, dirty, a.build, **hook,
                                                        auto_converge=bool(a.bare_auto_converge)))
                    sec.append(one_lm(lab, size, n, mem))
                    if not bare_first:
                        bare.append(lm_bare.run_bare_lm(size, dirty, a.build, **hook,
                                                        auto_converge=bool(a.bare_auto_converge)))
                    if raw:
                        raw.write(json.dumps({"size_mib": size, "dirty_kib": dirty,
                                              "memory": a.memory, "warm_at": a.warm_at,
                                              "bare_first": bare_first,
                                              "secluster": sec[-1], "bare": bare[-1],
                                              "load": load()}) + "\n")
                        raw.flush()
                row = summarize(size, dirty, sec, bare, before)
                row["memory"], row["order"], row["warm_at"] = a.memory, a.order, a.warm_at
                out.append(row)
                if not a.json:
                    print(line(row), flush=True)
    finally:
        lab.down(a.keep)
        if raw:
            raw.close()
    if a.json:
        print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
