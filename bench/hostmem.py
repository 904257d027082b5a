"""bench/hostmem — the host memory state an LM benchmark starts from, the same for every
driver it compares (docs/benchmarks.md "Session 7: the host
memory state and the target QEMU's start").

On this machine (a PVM guest of a microVM host: kernel `pvm_no_zero_page=1`, virtio-balloon
free page reporting, order 9 in /sys/module/page_reporting) reading never-touched guest
RAM allocates real 2 MiB pages, and memory that has been free for more than ~0.5 s may
have been handed back to the host (the reporting runs every ~2 s): touching it again costs ~1.3 ms per MiB instead of ~0.07 (bench/first-touch.py).
A live migration of a mostly empty guest touches its whole RAM twice (the source reads
every page to find the zero ones, the target reads its own before it skips them), so the
copy of a driver that happens to start within a second of a large free (another QEMU's exit) is
5-20 times faster than one that does not. bench/lm ran its bare-QMP peer right after
secluster's QEMUs had exited, and secluster's LM after the guest's boot: most of the "copy
ratio" of the earlier runs was this.

    prepare(mode, size_mib)   called right before a driver starts its migration: the bare
                              driver with both QEMUs ready, just before `migrate`;
                              secluster just before `sectl vm migrate`, so its target
                              QEMU starts after it (that start is part of secluster's LM)
      "warm"  touch and free 2 x size_mib + 256 MiB of THP memory: both QEMUs (and a target
              QEMU started on demand) get memory the host still backs
      "cold"  wait COLD_S: what was freed has been handed back to the host, as on a
              target host that has been idle
      "asis"  nothing (the earlier runs)
"""
import mmap
import time

COLD_S = 5.0          # > 2 reporting periods of ~2 s: freed memory reported (bench/first-touch.py)
WARM_EXTRA_MIB = 256  # a target QEMU's own start, the daemons' allocations meanwhile
MODES = ("warm", "cold", "asis")


def touch_mib(mib, hugepage=True):
    """Maps mib MiB anonymous memory, writes one byte per 4 KiB, unmaps it. Returns the ms
    the writes took (the page faults, i.e. the first-touch cost)."""
    m = mmap.mmap(-1, mib << 20, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    try:
        if hugepage:
            m.madvise(mmap.MADV_HUGEPAGE)
        t0 = time.monotonic()
        for off in range(0, mib << 20, 4096):
            m[off] = 1
        return (time.monotonic() - t0) * 1000
    finally:
        m.close()


def prepare(mode, size_mib):
    """Brings the host memory into state mode (MODES) for an LM of a size_mib guest."""
    if mode == "warm":
        touch_mib(2 * size_mib + WARM_EXTRA_MIB)
    elif mode == "cold":
        time.sleep(COLD_S)
    elif mode != "asis":
        raise ValueError(f"memory mode {mode!r}: one of {', '.join(MODES)}")
