#!/usr/bin/python3
"""bench/lm-bare — live migration of the demo guest driven by bare QMP only: the peer that
bench/lm compares secluster's LM against in the same run (issue 5; docs/benchmarks.md
"Bare-QMP live migration on this machine").

    bench/lm-bare.py [--sizes 64,512] [--dirty 256,65536] [--runs 5] [--build build]
                     [--downtime 50] [--json]

Per run: a source QEMU with the argv of qemu_argv_build() (qemu-probe argv; IPL disk A000 =
the demo guest via -kernel, marker disk A001 shared raw, cache=none) boots and reports 3
times (report_ms=100); a target, identical plus `-incoming defer -S`, gets the events and
late-block-activate capabilities and `migrate-incoming tcp:127.0.0.1:0`; the source gets
events, downtime-limit (50 ms) and max-bandwidth 4 GiB/s, then `migrate`; on the source's
MIGRATION{completed} and the target's own (it has loaded everything), the target `cont`s,
then the source `quit`s; the guest must go on on
the target (one more report, joined console checks ok), then the target is killed. No
postcopy, no return-path, no auto-converge (test_qemu_lm.py a, which `cont`s on the
source's completed alone; the target answers that cont only when loaded anyway).

Printed per run: migrate -> source completed (ms), the pause source STOP -> target RESUME
(ms, our CLOCK_MONOTONIC receive times, commit-free: the target resumes at once), total
migrate -> target RESUME (ms), QEMU's downtime and bytes; then per condition median and
p99 (nearest rank). Every QEMU is ended by its PID. By hand; not a test.

Importable (the file name has a dash):
    spec = importlib.util.spec_from_file_location("lm_bare", "bench/lm-bare.py")
    lm_bare = importlib.util.module_from_spec(spec); spec.loader.exec_module(lm_bare)
    r = lm_bare.run_bare_lm(64, 256, "build")   # dict, see run_bare_lm
    lm_bare.summarize([r, ...])                 # {"pause_ms": {"median":, "p99":}, ...}
"""
import argparse, json, math, os, shutil, statistics, sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../tests/lib"))
import guestcheck as gc  # noqa: E402
import lmpair  # noqa: E402

HIGH_DIRTY_WS_KIB = 32768     # working set for dirty rates above 1 MiB/s (else the default)
KEYS = ("migrate_to_completed_ms", "pause_ms", "total_ms")


def ws_for(size_mib, dirty_kib):
    """The guest working set (KiB) used for a dirty rate: the guest's default 1024 for
    rates up to 1 MiB/s, else 32 MiB (at most RAM - 8 MiB), so that a high rate dirties
    many distinct pages instead of rewriting 1 MiB over and over."""
    if dirty_kib <= 1024:
        return 1024
    return min(HIGH_DIRTY_WS_KIB, (size_mib - 8) * 1024)


def run_bare_lm(size_mib, dirty_kib, build_dir, downtime_ms=50, bandwidth=lmpair.BANDWIDTH,
                ws_kib=None, timeout=120.0, auto_converge=False, before_migrate=None,
                before_target=None):
    """One bare-QMP LM of a size_mib guest dirtying dirty_kib KiB/s. Returns a dict:
    size_mib, dirty_kib, ws_kib, downtime_limit_ms, the times of lmpair.Lm.result()
    (migrate_to_completed_ms, pause_ms, pause_qemu_ms, total_ms, stop_to_completed_ms,
    tgt_completed_after_src_ms, cont_to_resume_ms, qemu_total_time_ms, qemu_downtime_ms,
    transferred_bytes, dirty_sync_count) and "ok" with "errors" (the joined console's
    check, 2 reports on the target within 10 s; a guest that panicked or reported
    check=BAD after the LM is "ok": False, not an exception), tgt_start_ms (the target
    QEMU's start: exec to its QMP handshake done, outside the timed interval). Raises on a failed migration
    or a QEMU that does not start. auto_converge: the source's capability as secluster sets
    it on an SU x86 (bench/lm compares like with like). before_migrate: called right before
    `migrate` is sent, both QEMUs ready (bench/hostmem.prepare). before_target: called
    right before the target QEMU starts (bench/lm's default place for hostmem.prepare: the
    same point in the LM as secluster's, whose target QEMU starts inside its LM). Both
    QEMUs are killed by PID before it returns."""
    ws = ws_kib if ws_kib is not None else ws_for(size_mib, dirty_kib)
    append = f"marker=A001 report_ms=100 dirty_kib={dirty_kib} ws_kib={ws}"
    d = lmpair.workdir("lmb")
    src = tgt = None
    try:
        lmpair.make_disks(d, build_dir)
        src = lmpair.Vm(d, "src", build_dir, mem_mib=size_mib, append=append)
        src.wait_reports(3, timeout=60)
        if before_target:
            before_target()
        t0 = lmpair.now()
        tgt = lmpair.Vm(d, "tgt", build_dir, mem_mib=size_mib, append=append, incoming=True)
        tgt_start_ms = round((lmpair.now() - t0) * 1000, 3)
        lm = lmpair.Lm(src, tgt, downtime_ms=downtime_ms, bandwidth=bandwidth,
                       auto_converge=auto_converge)
        assert not lm.caps_src["postcopy-ram"] and not lm.caps_tgt["postcopy-ram"]
        if before_migrate:
            before_migrate()
        lm.start()
        lm.wait_completed(timeout=timeout)
        lm.resume_target(wait_loaded=True)
        r = lm.result()
        src.qmp.quit()
        src.wait_exit(10)
        last = src.reports()[-1][0]
        errs = []
        try:
            tgt.wait_reports(2, above=last, timeout=10)
        except AssertionError:
            errs.append(f"the guest did not go on on the target (2 reports above n={last} "
                        f"in 10 s)")
        errs += gc.check_console(gc.parse_console(gc.read_logs([src.log, tgt.log])))
        if "READY" in tgt.text():
            errs.append("READY on the target")
        r.update({"size_mib": size_mib, "dirty_kib": dirty_kib, "ws_kib": ws,
                  "downtime_limit_ms": downtime_ms, "auto_converge": auto_converge,
                  "tgt_start_ms": tgt_start_ms,
                  "ok": not errs, "errors": errs})
        return r
    finally:
        for vm in (tgt, src):
            if vm is not None:
                vm.kill()
        shutil.rmtree(d, ignore_errors=True)


def p99(xs):
    """Nearest-rank 99th percentile (the maximum for fewer than 100 values)."""
    s = sorted(xs)
    return s[max(0, math.ceil(0.99 * len(s)) - 1)]


def summarize(runs):
    """{key: {"median", "p99", "min", "max", "n"}} over runs for the KEYS times."""
    out = {}
    for k in KEYS + ("qemu_downtime_ms",):
        xs = [r[k] for r in runs if r.get(k) is not None]
        if xs:
            out[k] = {"median": round(statistics.median(xs), 1), "p99": round(p99(xs), 1),
                      "min": round(min(xs), 1), "max": round(max(xs), 1), "n": len(xs)}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="64,512", help="guest RAM, MiB, comma separated")
    ap.add_argument("--dirty", default="256,65536", help="dirty_kib values, comma separated")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--downtime", type=int, default=50, help="downtime-limit, ms")
    ap.add_argument("--build", default=os.path.join(HERE, "../build"))
    ap.add_argument("--json", action="store_true", help="one JSON line per run and summary")
    a = ap.parse_args()
    if lmpair.QEMU is None:
        sys.exit("lm-bare: qemu-system-x86_64 not installed")
    summaries, bad = [], 0
    for size in [int(x) for x in a.sizes.split(",")]:
        for dirty in [int(x) for x in a.dirty.split(",")]:
            runs = []
            for i in range(a.runs):
                r = run_bare_lm(size, dirty, a.build, downtime_ms=a.downtime)
                runs.append(r)
                bad += not r["ok"]
                if a.json:
                    print(json.dumps(r), flush=True)
                else:
                    print(f"{size:4d} MiB dirty_kib={dirty:5d} ws_kib={r['ws_kib']:5d} run {i + 1}: "
                          f"migrate->completed {r['migrate_to_completed_ms']:8.1f} ms  "
                          f"pause STOP->RESUME {r['pause_ms']:7.1f} ms  total "
                          f"{r['total_ms']:8.1f} ms  (QEMU downtime {r['qemu_downtime_ms']} ms, "
                          f"{r['transferred_bytes'] / 1e6:.1f} MB, syncs "
                          f"{r['dirty_sync_count']}) {'ok' if r['ok'] else r['errors']}",
                          flush=True)
            s = summarize(runs)
            summaries.append({"size_mib": size, "dirty_kib": dirty, "summary": s})
            if a.json:
                print(json.dumps(summaries[-1]), flush=True)
            else:
                print(f"{size:4d} MiB dirty_kib={dirty:5d}: " + "  ".join(
                    f"{k[:-3]} median {v['median']} p99 {v['p99']}" for k, v in s.items()),
                    flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
