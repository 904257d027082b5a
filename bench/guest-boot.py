#!/usr/bin/python3
"""bench/guest-boot — the demo guest's boot time and CPU cost under TCG (issue 4 "Guests":
"boots in under a second under TCG"; docs/benchmarks.md).

    bench/guest-boot.py [--boots 10] [--seconds 10] [--build build]

Boot time: --boots times, one after the other, QEMU is started (the SU's command line,
shared.md, with an IPL disk A000 and a marker disk A001) and the time from exec to the
`GUEST READY` line in the console file is taken (the file is polled every 2 ms). CPU cost:
one guest at dirty_kib=0, 256 and 4096 (report_ms=500) runs for --seconds after READY;
the CPU time every QEMU thread used in that time (/proc/PID/task/*/schedstat) as % of one
core. Every QEMU is ended by its PID. By hand; not a test.
"""
import argparse, os, signal, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))


def cpu_s(pid):
    t = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                t += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return t / 1e9


def start(d, elf, name, append):
    log = os.path.join(d, f"{name}.log")
    args = ["qemu-system-x86_64", "-machine", "pc-i440fx-7.2", "-cpu", "qemu64", "-accel", "tcg",
            "-nodefaults", "-no-user-config", "-display", "none", "-no-shutdown", "-m", "64M",
            "-kernel", elf, "-append", append,
            "-chardev", f"file,id=ser0,path={log},append=on", "-serial", "chardev:ser0"]
    for mn in ("A000", "A001"):
        args += ["-drive", f"file={d}/{mn}.img,format=raw,if=none,id=drv-{mn},cache=none",
                 "-device", f"virtio-blk-pci,drive=drv-{mn},id=dev-{mn},serial={mn}"]
    t0 = time.monotonic()
    p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    deadline = t0 + 30
    while True:
        try:
            with open(log, "rb") as f:
                if b"GUEST READY" in f.read():
                    return p, time.monotonic() - t0
        except FileNotFoundError:
            pass
        if p.poll() is not None or time.monotonic() > deadline:
            stop(p)
            sys.exit(f"guest-boot: no READY from {name} (qemu exit {p.poll()})")
        time.sleep(0.002)


def stop(p):
    if p.poll() is None:
        os.kill(p.pid, signal.SIGKILL)
    p.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--boots", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--build", default=os.path.join(HERE, "../build"))
    a = ap.parse_args()
    elf = os.path.abspath(os.path.join(a.build, "guest/secguest.elf"))
    with tempfile.TemporaryDirectory(prefix="guest-boot-") as d:
        for mn in ("A000", "A001"):
            with open(f"{d}/{mn}.img", "wb") as f:
                f.truncate(1 << 20)
        times = []
        for i in range(a.boots):
            p, t = start(d, elf, f"b{i}", "marker=A001 dirty_kib=256 report_ms=500")
            stop(p)
            times.append(t)
        times.sort()
        print(f"exec -> READY over {a.boots} boots: min {times[0]:.3f} s, median "
              f"{statistics.median(times):.3f} s, max {times[-1]:.3f} s")
        for dirty in (0, 256, 4096):
            p, _ = start(d, elf, f"c{dirty}", f"marker=A001 dirty_kib={dirty} report_ms=500")
            try:
                c0, t0 = cpu_s(p.pid), time.monotonic()
                time.sleep(a.seconds)       # a measurement interval, not a synchronisation
                c1, t1 = cpu_s(p.pid), time.monotonic()
            finally:
                stop(p)
            print(f"dirty_kib={dirty}: CPU {100 * (c1 - c0) / (t1 - t0):.1f} % of one core")
        print(f"load average: {open('/proc/loadavg').read().split()[0]}")


if __name__ == "__main__":
    main()
