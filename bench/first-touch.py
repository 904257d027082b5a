#!/usr/bin/python3
"""bench/first-touch — what touching memory costs on this machine after it has been free
for a while (the reason for bench/hostmem's memory modes; docs/benchmarks.md "Session 7:
the host memory state and the target QEMU's start").

    bench/first-touch.py [--mib 64] [--idle 0,500,1000,2000,3000,5000] [--runs 3]

Per idle time: touch MiB of THP memory (one write per 4 KiB) and free it, stay idle that
many ms, touch the same amount again and time it. Prints the median and range per idle
time. By hand; not a test."""
import argparse, statistics, sys, time
import hostmem


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mib", type=int, default=64)
    ap.add_argument("--idle", default="0,500,1000,2000,3000,5000")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-thp", action="store_true", help="4 KiB pages (MADV_HUGEPAGE off)")
    a = ap.parse_args()
    for idle in [int(x) for x in a.idle.split(",")]:
        ms = []
        for _ in range(a.runs):
            hostmem.touch_mib(a.mib, not a.no_thp)
            time.sleep(idle / 1000)
            ms.append(hostmem.touch_mib(a.mib, not a.no_thp))
        print(f"{a.mib} MiB {'4 KiB pages' if a.no_thp else 'THP'} after {idle:5d} ms free: "
              f"touch {statistics.median(ms):7.1f} ms [{min(ms):.1f}-{max(ms):.1f}] "
              f"({statistics.median(ms) / a.mib:.2f} ms/MiB)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
