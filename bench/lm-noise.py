#!/usr/bin/python3
"""bench/lm-noise — how far apart two identical migration drivers come out in bench/lm's
measure: the same bare-QMP migration (bench/lm-bare.py run_bare_lm) as driver "A" and as
driver "B", taking turns, in blocks of --runs runs; per block the copy ratio bench/lm
computes (median of A's migrate -> completed / median of B's) and the pause p50.
(docs/benchmarks.md "Live Migration": the resolution of the copy-ratio goal.)

    bench/lm-noise.py [--sizes 64,512] [--dirty 256,16384] [--runs 10] [--blocks 3]
                      [--memory warm|cold|asis] [--lab] [--build build] [--json]

Everything as bench/lm runs its bare peer: the guest's dirty rate and working set, the
QEMUs at nice 10, auto-converge on, the host memory state before each `migrate`
(--memory, bench/hostmem.py). --lab keeps an idle lab of bench/lm's shape (2 MUs, 2 SUs,
profile lab) up meanwhile, as in bench/lm's runs. A ratio other than 1.00 here is the
measurement's own noise with that many runs: a copy ratio of bench/lm inside this spread
says nothing about secluster. Every process is ended by its PID (run_bare_lm kills its
QEMUs; the lab: `sectl lab down`). By hand; not a test."""
import argparse, importlib.util, json, os, statistics, sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import hostmem  # noqa: E402

spec = importlib.util.spec_from_file_location("lm", os.path.join(HERE, "lm.py"))
lm = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lm)
lm_bare = lm.lm_bare


def main():
    ap = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    ap.add_argument("--sizes", default="64,512", help="guest RAM sizes, MiB (default 64,512)")
    ap.add_argument("--dirty", default="256,16384",
                    help="the guest's dirty rates, KiB/s (default 256,16384)")
    ap.add_argument("--runs", type=int, default=10, help="runs of each driver per block")
    ap.add_argument("--blocks", type=int, default=3, help="blocks per condition (default 3)")
    ap.add_argument("--memory", default="warm", choices=hostmem.MODES)
    ap.add_argument("--lab", action="store_true", help="an idle lab up meanwhile")
    ap.add_argument("--build", default=os.path.join(os.path.dirname(HERE), "build"))
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    lm_bare.lmpair.QEMU_NICE = 10
    lab = lm.Lab(a.build) if a.lab else None
    out = []
    try:
        for size in [int(x) for x in a.sizes.split(",")]:
            for dirty in [int(x) for x in a.dirty.split(",")]:
                row = {"size_mib": size, "dirty_kib": dirty, "memory": a.memory,
                       "lab": a.lab, "blocks": []}
                for _ in range(a.blocks):
                    runs = {"A": [], "B": []}
                    for i in range(a.runs):
                        for drv in ("A", "B") if i % 2 == 0 else ("B", "A"):
                            runs[drv].append(lm_bare.run_bare_lm(
                                size, dirty, a.build, auto_converge=True,
                                before_migrate=lambda: hostmem.prepare(a.memory, size)))
                    med = {d: statistics.median(r["migrate_to_completed_ms"] for r in runs[d])
                           for d in runs}
                    pause = {d: statistics.median(r["pause_ms"] for r in runs[d]) for d in runs}
                    row["blocks"].append({"copy_ms": {d: round(v, 1) for d, v in med.items()},
                                          "ratio": round(med["A"] / med["B"], 2),
                                          "pause_p50_ms": {d: round(v, 1)
                                                           for d, v in pause.items()}})
                ratios = [b["ratio"] for b in row["blocks"]]
                row["ratio_min"], row["ratio_max"] = min(ratios), max(ratios)
                out.append(row)
                if not a.json:
                    print(f"{size} MiB {dirty} KiB/s, {a.runs} runs per driver and block, memory "
                          f"{a.memory}{', lab up' if a.lab else ''}: A/B copy ratio per block "
                          f"{', '.join(f'{r:.2f}' for r in ratios)} (copy ms "
                          + "; ".join(f"{b['copy_ms']['A']:.0f}/{b['copy_ms']['B']:.0f}"
                                      for b in row["blocks"]) + ")", flush=True)
    finally:
        if lab:
            lab.down()
    if a.json:
        print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
