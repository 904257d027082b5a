"""The demo guest under TCG and its oracles (issue 4 "Guests"; guest/README.md; testing.md
"Oracles").

The guest boots from build/guest/secguest.elf with a marker disk A001 and an IPL disk A000
(both virtio-blk, as the SU lays them out), prints READY and reports check=ok, and each
report's record is on the disk: tests/lib/guestcheck.py finds one run per boot, the second
boot continuing the first's counter. The IPL disk is never written; without a marker disk
the guest says marker=none; memory broken by the test hook makes it say check=BAD. A record overwritten behind the guest's back makes it report
check=BAD ring=foreign, and so do two instances on one marker disk. guestcheck itself fails on crafted rings and logs: boot ids that
interleave (A B A), a counter that goes backwards, a rollback (chain break), check=BAD.
Every QEMU is ended by its PID; waits have deadlines.
"""
import hashlib, os, shutil, signal, subprocess, sys, time
import pytest
from lab import BUILD, wait_for

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../lib"))
import guestcheck as gc  # noqa: E402

GUEST = os.path.join(BUILD, "guest/secguest.elf")
QEMU = shutil.which("qemu-system-x86_64")
need_qemu = pytest.mark.skipif(QEMU is None, reason="qemu-system-x86_64 not installed "
                               "(scripts/install-deps.sh installs qemu-system-x86)")


class Guest:
    """One QEMU running the demo guest, laid out as the SU does (shared.md)."""

    def __init__(self, d, name, disks, append, locking=True):
        self.log = os.path.join(d, f"{name}.console.log")
        args = [QEMU, "-machine", "pc-i440fx-7.2", "-cpu", "qemu64", "-accel", "tcg",
                "-nodefaults", "-no-user-config", "-display", "none", "-no-shutdown",
                "-m", "64M", "-name", name, "-kernel", GUEST, "-append", append,
                "-chardev", f"file,id=ser0,path={self.log},append=on", "-serial", "chardev:ser0"]
        for mn, path in disks:
            lock = "" if locking else ",file.locking=off"
            args += ["-drive", f"file={path},format=raw,if=none,id=drv-{mn},cache=none{lock}",
                     "-device", f"virtio-blk-pci,drive=drv-{mn},id=dev-{mn},serial={mn}"]
        self.stderr = open(os.path.join(d, f"{name}.qemu.err"), "wb")
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.stderr,
                                     stderr=self.stderr, close_fds=True)

    def text(self):
        try:
            with open(self.log, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def boots(self):
        return gc.parse_console(self.text())

    def _seen(self):
        return f"console so far:\n{self.text()}\nqemu exit: {self.proc.poll()}"

    def wait_ready(self, timeout=30):
        def ready():
            assert self.proc.poll() is None, f"qemu exited: {self._seen()}"
            b = self.boots()
            return b[0] if b and b[0]["boot"] else None
        try:
            boot = wait_for(ready, timeout, "GUEST READY")
        except AssertionError as e:
            raise AssertionError(f"{e}; {self._seen()}") from None
        self.ready_s = time.monotonic() - self.t0
        return boot

    def wait_reports(self, count, timeout=30):
        """Waits until the current boot printed count report lines; returns them."""
        def enough():
            assert self.proc.poll() is None, f"qemu exited: {self._seen()}"
            b = self.boots()
            return b[-1]["reports"] if b and len(b[-1]["reports"]) >= count else None
        try:
            return wait_for(enough, timeout, f"{count} GUEST n= lines")
        except AssertionError as e:
            raise AssertionError(f"{e}; {self._seen()}") from None

    def kill(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.stderr.close()


@pytest.fixture
def guests(tmp_path):
    """start(name, disks, append) boots a Guest; every one is killed by PID at the end."""
    started = []

    def start(name, disks, append="marker=A001 dirty_kib=256 report_ms=250", **kw):
        g = Guest(str(tmp_path), name, disks, append, **kw)
        started.append(g)
        return g
    yield start
    for g in started:
        g.kill()


def make_disks(d):
    """A000: an IPL image of random bytes (must never change), A001: an empty marker disk."""
    ipl, marker = os.path.join(d, "A000.img"), os.path.join(d, "A001.img")
    with open(ipl, "wb") as f:
        f.write(os.urandom(1 << 20))
    with open(marker, "wb") as f:
        f.truncate(1 << 20)
    return ipl, marker


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


@need_qemu
def test_guest_boots_reports_and_rings_two_boots(tmp_path, guests):
    ipl, marker = make_disks(str(tmp_path))
    ipl_sum = digest(ipl)
    disks = [("A000", ipl), ("A001", marker)]

    g1 = guests("g1", disks)
    b1 = g1.wait_ready()
    print(f"boot 1: exec -> READY {g1.ready_s:.3f} s")
    assert b1["marker"] == "A001" and b1["mem"] == 64, b1
    reps = g1.wait_reports(4)
    g1.kill()
    boots = g1.boots()
    assert gc.check_console(boots) == [], g1.text()
    assert reps[0][0] == 1, reps                     # a fresh disk: the counter starts at 1
    last1 = boots[-1]["reports"][-1][0]
    ring = gc.read_ring(marker)
    assert gc.check_ring(ring) == [], gc.check_ring(ring)
    # every printed report is on the disk (written before the line); at most one record
    # more (written, then killed before its line was printed)
    [(bid, first, last)] = gc.runs(ring)
    assert (bid, first) == (b1["boot"], 1) and last in (last1, last1 + 1), (gc.runs(ring), last1)

    g2 = guests("g2", disks)
    b2 = g2.wait_ready()
    print(f"boot 2: exec -> READY {g2.ready_s:.3f} s")
    assert b2["boot"] != b1["boot"]
    reps2 = g2.wait_reports(2)
    g2.kill()
    assert reps2[0][0] == last + 1, (reps2, last)      # continues from the disk marker
    assert gc.check_console(g2.boots()) == [], g2.text()
    ring = gc.read_ring(marker)
    assert gc.check_ring(ring) == [], gc.check_ring(ring)
    r = gc.runs(ring)
    assert [x[0] for x in r] == [b1["boot"], b2["boot"]], r
    assert r[1][1] == r[0][2] + 1, r
    assert ring["header"]["boots"] == 2 and ring["header"]["last_boot"] == b2["boot"]
    assert digest(ipl) == ipl_sum, "the guest wrote to the IPL disk A000"


@need_qemu
def test_guest_without_marker_disk_and_its_memory_check(tmp_path, guests):
    """No marker disk: marker=none. test_corrupt=4 breaks a working-set word and a fixed
    word before report 4: that report (and later ones: the fixed region stays broken) is BAD."""
    ipl, _ = make_disks(str(tmp_path))
    ipl_sum = digest(ipl)
    g = guests("g", [("A000", ipl)],
               "marker=A001 dirty_kib=1024 report_ms=100 ws_kib=2048 test_corrupt=4")
    b = g.wait_ready()
    assert b["marker"] == "none", b
    reps = g.wait_reports(5)
    g.kill()
    assert [n for n, _, _ in reps[:5]] == [1, 2, 3, 4, 5], reps
    assert [ok for _, ok, _ in reps[:5]] == [True, True, True, False, False], reps
    assert reps[3][2] == "ws=1 fixed=1 ring=ok", reps
    errs = gc.check_console(g.boots())
    assert errs and all("check=BAD" in e for e in errs), errs
    assert digest(ipl) == ipl_sum, "the guest wrote to the IPL disk A000"


@need_qemu
def test_guest_sees_a_foreign_record(tmp_path, guests):
    """A record overwritten behind the guest's back (a second writer) makes it say BAD."""
    _, marker = make_disks(str(tmp_path))
    g = guests("g", [("A001", marker)], "marker=A001 report_ms=200")
    g.wait_ready()
    g.wait_reports(2)
    # overwrite the slot of the last printed report; the guest reads it back before its next
    # record. The guest may just be between that read and its line: then try again.
    for attempt in range(5):
        n = g.boots()[-1]["reports"][-1][0]
        with open(marker, "r+b") as f:
            f.seek((gc.RING_FIRST + n % gc.RING_LEN) * gc.SECTOR)
            f.write(gc.make_record(0x1234, n))
        seen = len(g.boots()[-1]["reports"])
        reps = g.wait_reports(seen + 1)
        bad = [x for x in reps if not x[1]]
        if bad:
            break
    g.kill()
    assert bad and "ring=foreign" in bad[0][2], g.text()
    assert any("check=BAD" in e for e in gc.check_console(g.boots()))


@need_qemu
def test_guest_running_twice_shows(tmp_path, guests):
    """Two instances on one marker disk (QEMU's image lock switched off, as if on two
    hosts): the ring says so, and so does a console."""
    _, marker = make_disks(str(tmp_path))
    a = guests("a", [("A001", marker)], "marker=A001 report_ms=200", locking=False)
    a.wait_ready()
    a.wait_reports(2)
    b = guests("b", [("A001", marker)], "marker=A001 report_ms=200", locking=False)
    b.wait_ready()
    b.wait_reports(3)
    a.kill()
    b.kill()
    bad = gc.check_console(a.boots()) + gc.check_console(b.boots())
    assert any("ring=foreign" in e for e in bad), (a.text(), b.text())
    errs = gc.check_ring(gc.read_ring(marker))
    assert errs, gc.runs(gc.read_ring(marker))


def test_guestcheck_ring_fails_on_interleaving_and_backwards(tmp_path):
    A, B = 0xAAAA000000000001, 0xBBBB000000000002
    p = str(tmp_path / "ring.img")

    gc.write_ring(p, [(A, n, True) for n in range(1, 6)] + [(B, n, True) for n in range(6, 9)])
    assert gc.check_ring(gc.read_ring(p)) == []       # A...A B...B: fine
    assert [x[0] for x in gc.runs(gc.read_ring(p))] == [f"{A:016x}", f"{B:016x}"]

    # A B A: the first instance is still writing after the second took over
    gc.write_ring(p, [(A, 1, True), (A, 2, True), (B, 3, True), (A, 4, True), (B, 5, True)])
    errs = gc.check_ring(gc.read_ring(p))
    assert any("interleave" in e for e in errs), errs

    # a counter going backwards: a record of counter 3 in the slot after counter 5
    gc.write_ring(p, [(A, n, True) for n in range(1, 6)])
    with open(p, "r+b") as f:
        f.seek((gc.RING_FIRST + 6) * gc.SECTOR)
        f.write(gc.make_record(A, 3))
    errs = gc.check_ring(gc.read_ring(p))
    assert any("backwards" in e for e in errs), errs
    assert gc.main(["ring", p]) == 1

    # a rollback: n=4 written again (same boot id, a new nonce) after n=5 was written
    gc.write_ring(p, [(A, n, True) for n in range(1, 6)])
    ring = gc.read_ring(p)
    with open(p, "r+b") as f:
        f.seek((gc.RING_FIRST + 4) * gc.SECTOR)
        f.write(gc.make_record(A, 4, prev=ring["slots"][3]["crc"], nonce=99))
    errs = gc.check_ring(gc.read_ring(p))
    assert len(errs) == 1 and "chain break" in errs[0] and "n=5" in errs[0], errs

    # a record that says check=BAD
    gc.write_ring(p, [(A, 1, True), (A, 2, False)])
    errs = gc.check_ring(gc.read_ring(p))
    assert len(errs) == 1 and "check=BAD" in errs[0], errs


def test_guestcheck_console(tmp_path):
    src, dst = tmp_path / "src.log", tmp_path / "dst.log"
    # an LM: the switch-over split the line "GUEST n=12 check=ok" between the two logs
    src.write_text("GUEST READY boot=00000000000000aa mem=64 marker=A001\n"
                   "GUEST n=10 check=ok\nGUEST n=11 check=ok\nGUEST n=1")
    dst.write_text("2 check=ok\nGUEST n=13 check=ok\nGUEST n=14 chec")
    boots = gc.parse_console(gc.read_logs([src, dst]))
    assert [n for n, _, _ in boots[0]["reports"]] == [10, 11, 12, 13], boots
    assert gc.check_console(boots) == []
    assert gc.main(["console", str(src), str(dst)]) == 0

    # the target resumed from stale memory: n goes back; and a BAD report
    dst.write_text("2 check=ok\nGUEST n=11 check=ok\nGUEST n=12 check=BAD ws=3 fixed=0 ring=ok\n")
    errs = gc.check_console(gc.parse_console(gc.read_logs([src, dst])))
    assert any("backwards" in e for e in errs) and any("check=BAD ws=3" in e for e in errs), errs
    assert gc.main(["console", str(src), str(dst)]) == 1

    dst.write_text("2 check=ok\nGUEST PANIC exception=13\n")
    errs = gc.check_console(gc.parse_console(gc.read_logs([src, dst])))
    assert errs == ["boot 00000000000000aa: PANIC exception=13"], errs
