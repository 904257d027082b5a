#!/usr/bin/python3
"""bench/lm — secluster's Live Migration against the same migration driven by bare QMP, in
one run (issue 5 "What it must show"; docs/benchmarks.md "Live Migration").

    bench/lm.py [--sizes 64,512] [--dirty 256,16384] [--runs 5] [--build build] [--json]
                [--tcg-stop] [--bare-nice 10]

One lab (`sectl lab up --servers 2 --mus-per-server 1 --sus-per-server 1 --su-cluster
--profile lab`) in a temporary directory. Per condition (guest size MiB x dirty rate KiB/s)
both SUs get `[su] ipl_append = marker=A001 report_ms=100 dirty_kib=D ws_kib=W` (the demo
guest's command line, the working set of bench/lm-bare.py) and `lm_tcg_live = true`: the
memory is copied while the guest runs, as the bare script does (without it secluster stops
the guest for the copy under TCG, docs/lm.md; --tcg-stop measures that instead). Each run:
a VM of that size is created on su1, started, reports 3 times, and `sectl vm migrate --json`
moves it to su2 (the LM object gives setup_ms, copy_ms, switchover_ms, pause_ms); then a
bare-QMP LM of the same guest (bench/lm-bare.py run_bare_lm) runs right after it, its two
QEMUs at nice 10 as sec-guard starts secluster's (--bare-nice).

Printed per condition, medians and p99 (nearest rank):
  copy     secluster migrate -> source completed  vs  bare migrate -> completed; the ratio
  overhead secluster accepted -> target RESUME minus bare migrate -> target RESUME (ms):
           what the orchestration adds (the target's QEMU start, the CRD writes, the
           commit before cont)
  pause    STOP -> RESUME, secluster (commit included) and bare (no commit)
and whether every guest went on with check=ok. By hand; not a test. Every process is ended
by its PID (`sectl lab down`, the bare script's kill)."""
import argparse, importlib.util, json, math, os, shutil, statistics, subprocess, sys, tempfile, \
    time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests/lib"))
import guestcheck as gc  # noqa: E402

spec = importlib.util.spec_from_file_location("lm_bare", os.path.join(HERE, "lm-bare.py"))
lm_bare = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lm_bare)


def p99(xs):
    xs = sorted(xs)
    return xs[max(0, math.ceil(0.99 * len(xs)) - 1)] if xs else float("nan")


class Lab:
    def __init__(self, build):
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

    def down(self):
        self.run("lab", "down", "--dir", self.dir, check=False)
        shutil.rmtree(self.tmp, ignore_errors=True)


def one_lm(lab, size, n):
    vm = f"B{n % 1000}"
    lab.sdf("su1", f"/CREATE-VM-DEFINITION VM-NAME={vm},VM-INDEX=*ANY,MEMORY-SIZE={size},"
                   "DEVICES=*PARAMETERS(UNITS=(A000,A001))")
    lab.sdf("su1", f"/ACTIVATE-VM-DEFINITION VM-NAME={vm}")
    lab.sdf("su1", f"/START-VM IPL-UNIT=A000,VM-ID={vm}")
    lab.wait(lambda: len(lab.reports("su1", vm)) >= 3, 120, f"{vm} reporting")
    r = lab.run("vm", "migrate", vm, "--su", "su1", "--to", "su2", "--json", check=False,
                timeout=300)
    lm = json.loads(r.stdout) if r.stdout.strip().startswith("{") else {"state": r.stderr}
    ok = lm.get("state") == "completed"
    if ok:
        before = len(lab.reports("su2", vm))
        lab.wait(lambda: len(lab.reports("su2", vm)) >= before + 2, 30, f"{vm} on su2")
        ok = all(good for _, good, _ in lab.reports("su2", vm))
    for su in ("su1", "su2"):
        lab.sdf(su, f"/DELETE-VM VM-ID={vm},CHECK-VM-STATE=*NO", check=False)
        lab.sdf(su, f"/DELETE-VM-DEFINITION VM-NAME={vm}", check=False)
    lm["guest_ok"] = ok
    return lm


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="64,512")
    ap.add_argument("--dirty", default="256,16384")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--tcg-stop", action="store_true",
                    help="secluster's default under TCG: the guest stopped for the copy")
    ap.add_argument("--bare-nice", type=int, default=10,
                    help="nice value of the bare QEMUs (sec-guard runs secluster's at 10)")
    a = ap.parse_args()
    lm_bare.lmpair.QEMU_NICE = a.bare_nice
    lab = Lab(a.build)
    out, n = [], 0
    try:
        for size in [int(x) for x in a.sizes.split(",")]:
            for dirty in [int(x) for x in a.dirty.split(",")]:
                ws = lm_bare.ws_for(size, dirty)
                lab.configure([f"ipl_append = marker=A001 report_ms=100 dirty_kib={dirty} "
                               f"ws_kib={ws}",
                               f"lm_tcg_live = {'false' if a.tcg_stop else 'true'}"])
                sec, bare = [], []
                for _ in range(a.runs):
                    n += 1
                    sec.append(one_lm(lab, size, n))
                    bare.append(lm_bare.run_bare_lm(size, dirty, a.build))
                good = [s for s in sec if s.get("state") == "completed"]
                row = {"size_mib": size, "dirty_kib": dirty, "runs": a.runs,
                       "completed": len(good),
                       "guest_ok": sum(1 for s in sec if s["guest_ok"]),
                       "bare_guest_ok": sum(1 for b in bare if b.get("ok")),
                       # why an LM did not complete (its reason, or sectl's stderr)
                       "not_completed": [s.get("reason") or s.get("state") for s in sec
                                         if s.get("state") != "completed"]}
                if good:
                    copy = [s["copy_ms"] for s in good]
                    tot = [s["setup_ms"] + s["copy_ms"] + s["switchover_ms"] for s in good]
                    pause = [s["pause_ms"] for s in good]
                    bcopy = [b["migrate_to_completed_ms"] for b in bare]
                    btot = [b["total_ms"] for b in bare]
                    bpause = [b["pause_ms"] for b in bare]
                    row.update({
                        "copy_ms": [statistics.median(copy), p99(copy)],
                        "bare_copy_ms": [statistics.median(bcopy), p99(bcopy)],
                        "copy_ratio": statistics.median(copy) / statistics.median(bcopy),
                        "overhead_ms": statistics.median(tot) - statistics.median(btot),
                        "setup_ms": statistics.median(s["setup_ms"] for s in good),
                        "switchover_ms": statistics.median(s["switchover_ms"] for s in good),
                        "pause_ms": [statistics.median(pause), p99(pause)],
                        "bare_pause_ms": [statistics.median(bpause), p99(bpause)],
                    })
                out.append(row)
                if not a.json:
                    print(json.dumps(row), flush=True)
    finally:
        lab.down()
    if a.json:
        print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
