"""QEMU 7.2 live-migration behaviour the LM engine relies on (issue 5; vm2000.md §5 "QEMU
facts that shape the LM"; research/qemu-lm.md §4, §6, §9, §10; qemu-lm2.md Experiment 1),
proved against real QEMU under TCG with the demo guest and bare QMP (tests/lib/qmpsync.py,
tests/lib/lmpair.py).

Source and target run the argv of qemu_argv_build() (qemu-probe argv): IPL disk A000 =
the demo guest booted with -kernel, marker disk A001 shared raw with cache=none; the
target is identical plus `-incoming defer -S`, capability late-block-activate,
`migrate-incoming tcp:127.0.0.1:0`; the source gets downtime-limit 50 ms, max-bandwidth
4 GiB/s and the events capability.

a. LM of a running guest: the counter continues on the target without a new READY, the
   joined console and the marker ring check ok with one boot id; the real pause (source
   STOP -> target RESUME, our receive times) is printed.
b. Rollback: completed, target never resumed -> the source's cont works, the guest goes on
   on the source (and announce-self works), the target is killed.
c. Target resumed -> the source's cont fails on the image lock (the double-run guard).
d. A SIGSTOPped target leaves the source "active" with transferred frozen; migrate_cancel
   works and the source keeps running; the target exits once continued.
e. postcopy-ram (and return-path) are off on both sides, in every LM here.
f. A cont to the target while it is still inmigrate and the source still holds the disks
   fails on the image lock and does not start the target later: the engine must wait for
   the target's own MIGRATION{completed} (paused) before its commit and cont.

Measured results and deviations from the research: docs/qemu.md "Live migration facts,
measured by tests/fault/test_qemu_lm.py". Every QEMU is ended by PID in finally blocks;
waits are conditions with deadlines.
"""
import os, shutil, signal, sys
import pytest
from lab import BUILD

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../lib"))
import guestcheck as gc  # noqa: E402
import lmpair  # noqa: E402
import qmpsync  # noqa: E402

PROBE = os.path.join(BUILD, "tests/fault/qemu-probe")
GUEST = os.path.join(BUILD, "guest/secguest.elf")
pytestmark = [
    pytest.mark.skipif(lmpair.QEMU is None, reason="qemu-system-x86_64 is not installed"),
    pytest.mark.skipif(not (os.path.exists(GUEST) and os.path.exists(PROBE)),
                       reason="build/guest/secguest.elf or qemu-probe not built"),
]
APPEND = "marker=A001 report_ms=100 dirty_kib=256"
MEM = 64
LOCK_ERR = 'Failed to get "write" lock'


@pytest.fixture
def pair():
    """start(side, **kw) starts an lmpair.Vm in a fresh short directory with the disks;
    every QEMU started is killed by PID at the end, also when the test failed."""
    d = lmpair.workdir("lmt")
    lmpair.make_disks(d, BUILD)
    vms = []

    def start(side, **kw):
        kw.setdefault("append", APPEND)
        kw.setdefault("mem_mib", MEM)
        vm = lmpair.Vm(d, side, BUILD, **kw)
        vms.append(vm)
        return vm
    start.dir = d
    try:
        yield start
    finally:
        for vm in vms:
            vm.kill()
        shutil.rmtree(d, ignore_errors=True)


def running_pair(start, reports=3):
    """A source with the guest up (READY and reports) and a fresh incoming target."""
    src = start("src")
    src.wait_reports(reports)
    tgt = start("tgt", incoming=True)
    assert tgt.status() == "inmigrate"
    return src, tgt


def assert_no_postcopy(lm):
    for side, caps in (("source", lm.caps_src), ("target", lm.caps_tgt)):
        assert caps.get("postcopy-ram") is False, (side, caps)
        assert caps.get("return-path") is False, (side, caps)


def joined_console(src, tgt):
    boots = gc.parse_console(gc.read_logs([src.log, tgt.log]))
    return boots, gc.check_console(boots)


def ring_runs(d):
    ring = gc.read_ring(os.path.join(d, "A001.img"))
    return gc.runs(ring), gc.check_ring(ring)


def test_lm_running_guest_continues_on_target(pair):
    src, tgt = running_pair(pair)
    lm = lmpair.Lm(src, tgt, downtime_ms=50)
    assert_no_postcopy(lm)
    assert lm.params_src["downtime-limit"] == 50 and lm.params_src["max-bandwidth"] == lmpair.BANDWIDTH
    lm.start()
    lm.wait_completed(timeout=30)
    lm.resume_target()                # at once: the target may still be loading (docs/qemu.md)
    assert tgt.status() == "running"
    assert src.status() == "postmigrate"
    r = lm.result()
    print(f"\nLM 64 MiB dirty_kib=256: {r}")
    assert src.qmp.quit(), "source QEMU did not close QMP after quit"
    assert src.wait_exit(10) == 0, src.stderr()
    last_src = src.reports()[-1][0]
    tgt.wait_reports(3, above=last_src)
    assert tgt.qmp.quit()
    assert tgt.wait_exit(10) == 0, tgt.stderr()

    assert "READY" not in tgt.text(), tgt.text()
    boots, errs = joined_console(src, tgt)
    assert errs == [], (errs, src.text(), tgt.text())
    assert len(boots) == 1 and boots[0]["boot"], boots
    runs, rerrs = ring_runs(pair.dir)
    assert rerrs == [] and len(runs) == 1 and runs[0][0] == boots[0]["boot"], (runs, rerrs)
    assert runs[0][2] >= last_src + 3, (runs, last_src)
    assert r["pause_ms"] is not None and 0 < r["pause_ms"] < 5000, r


def test_rollback_source_cont_when_target_never_resumed(pair):
    src, tgt = running_pair(pair)
    lm = lmpair.Lm(src, tgt, downtime_ms=50)
    assert_no_postcopy(lm)
    tmark = tgt.qmp.mark()
    lm.start()
    lm.wait_completed(timeout=30)
    # the target has loaded the whole stream and sits paused (-S), disks inactive
    tgt.qmp.wait_event("MIGRATION", lambda d: d["status"] == "completed", timeout=10,
                       after=tmark)
    assert tgt.status() == "paused"
    assert src.status() == "postmigrate"
    last_src = src.reports()[-1][0]
    m = src.qmp.mark()
    src.qmp.execute("cont")
    src.qmp.wait_event("RESUME", timeout=5, after=m)
    assert src.status() == "running"
    src.qmp.execute("announce-self", {"initial": 50, "max": 550, "rounds": 5, "step": 100})
    src.wait_reports(3, above=last_src)
    assert tgt.status() == "paused" and tgt.text() == "", tgt.text()
    tgt.kill()
    src.wait_reports(1, above=src.reports()[-1][0])       # unaffected by the target's end
    assert src.qmp.quit()
    assert src.wait_exit(10) == 0
    boots, errs = joined_console(src, tgt)
    assert errs == [] and len(boots) == 1, (errs, boots)
    runs, rerrs = ring_runs(pair.dir)
    assert rerrs == [] and len(runs) == 1 and runs[0][0] == boots[0]["boot"], (runs, rerrs)


def test_source_cont_refused_after_target_resumed(pair):
    src, tgt = running_pair(pair)
    lm = lmpair.Lm(src, tgt, downtime_ms=50)
    lm.start()
    lm.wait_completed(timeout=30)
    lm.resume_target()
    last_src = src.reports()[-1][0]
    with pytest.raises(qmpsync.QMPError) as ei:
        src.qmp.execute("cont")
    print(f"\nsource cont after target RESUME: {ei.value}")
    assert LOCK_ERR in ei.value.desc, ei.value.desc
    assert src.status() == "postmigrate"
    # the guest runs on the target only: its counter goes on there, the source's log stays
    tgt.wait_reports(3, above=last_src)
    assert src.reports()[-1][0] == last_src and src.qmp.find_event("RESUME") is None
    tgt.kill()
    src.kill()
    boots, errs = joined_console(src, tgt)
    assert errs == [] and len(boots) == 1, (errs, boots)
    runs, rerrs = ring_runs(pair.dir)
    assert rerrs == [] and len(runs) == 1, (runs, rerrs)


def test_stopped_target_leaves_source_active_until_cancel(pair):
    # a working set (32 MiB non-zero) well above the loopback socket buffers, so that the
    # stream cannot be parked in the kernel while the target does not read
    app = "marker=A001 report_ms=100 dirty_kib=4096 ws_kib=32768"
    src = pair("src", append=app)
    src.wait_reports(2)
    tgt = pair("tgt", incoming=True, append=app)
    # 16 MiB/s: the copy of the 32 MiB working set takes about 2 s, so the target can be
    # stopped while the migration is active (research/qemu-lm.md §6 used 50 MB/s)
    lm = lmpair.Lm(src, tgt, downtime_ms=50, bandwidth=16 << 20)
    assert_no_postcopy(lm)
    lm.start()
    src.qmp.wait_event("MIGRATION", lambda d: d["status"] == "active", timeout=10,
                       after=lm.mark_src)
    os.kill(tgt.pid, signal.SIGSTOP)
    # observe: active, and transferred frozen over 4 polls 250 ms apart (the watchdog basis)
    samples = []

    def frozen():
        mi = src.qmp.execute("query-migrate")
        assert mi["status"] == "active", mi
        samples.append(mi["ram"]["transferred"])
        return len(samples) >= 4 and len(set(samples[-4:])) == 1
    src.wait_for(frozen, 10, "transferred frozen while active", interval=0.25)
    print(f"\nstopped target: source active, transferred frozen at {samples[-1]} bytes "
          f"({len(samples)} polls)")
    assert src.qmp.find_event("STOP", after=lm.mark_src) is None
    assert src.status() == "running"
    last_src = src.reports()[-1][0]
    t0 = qmpsync.now()
    src.qmp.execute("migrate_cancel")
    src.qmp.wait_event("MIGRATION", lambda d: d["status"] == "cancelled", timeout=10,
                       after=lm.mark_src)
    print(f"migrate_cancel -> cancelled {1000 * (qmpsync.now() - t0):.1f} ms")
    assert src.status() == "running"
    src.wait_reports(3, above=last_src)
    os.kill(tgt.pid, signal.SIGCONT)
    rc = tgt.wait_exit(10)
    print(f"target after SIGCONT: exit {rc}; stderr: {tgt.stderr().strip()!r}")
    assert rc == 1, (rc, tgt.stderr())
    src.kill()
    boots, errs = joined_console(src, tgt)
    assert errs == [] and len(boots) == 1, (errs, boots)


def test_postcopy_never_enabled(pair):
    """Both sides as the LM prepares them: postcopy-ram and return-path off, events on,
    late-block-activate on the target."""
    src, tgt = running_pair(pair, reports=1)
    lm = lmpair.Lm(src, tgt)
    assert_no_postcopy(lm)
    assert lm.caps_src["events"] and lm.caps_tgt["events"]
    assert lm.caps_tgt["late-block-activate"]


def test_early_target_cont_fails_and_target_waits(pair):
    src, tgt = running_pair(pair)
    # 8 MiB/s: the 2 MB of the guest's non-zero pages take a few hundred ms
    lm = lmpair.Lm(src, tgt, downtime_ms=50, bandwidth=8 << 20)
    lm.start()
    with pytest.raises(qmpsync.QMPError) as ei:
        tgt.qmp.execute("cont")
    print(f"\ntarget cont while the migration is active: {ei.value}")
    assert LOCK_ERR in ei.value.desc, ei.value.desc
    assert src.qmp.find_event("MIGRATION", lambda d: d["status"] == "completed") is None, \
        "the migration completed before the early cont: not the condition under test"
    lm.wait_completed(timeout=30)
    qmpsync.poll_until([tgt.qmp, src.qmp], lambda: tgt.qmp.find_event(
        "MIGRATION", lambda d: d["status"] == "completed", after=lm.mark_tgt), 10)
    assert tgt.status() == "paused" and tgt.qmp.find_event("RESUME") is None
    lm.resume_target()
    assert tgt.status() == "running"
    last_src = src.reports()[-1][0]
    src.kill()
    tgt.wait_reports(2, above=last_src)
    tgt.kill()
    boots, errs = joined_console(src, tgt)
    assert errs == [] and len(boots) == 1, (errs, boots)
