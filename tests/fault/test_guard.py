"""sec-guard with real processes (issue 4 "sec-guard"; crd.md §4 "Fencing layers" 1, 2, 4, 5).

A guest here is `sleep 1000` (or a shell), started by the guard at the request of a
`sec-guard-ctl session` — the real protocol through guardc. Timing: the `test` profile
(fence_timeout 2 s, W 0.5 s, renewals every 0.2 s). Every process is ended by its PID in a
finally block; waits have deadlines; survival is observed over a window, failing at once.
"""
import errno, os, signal, socket, subprocess, time
import pytest

from lab import wait_for
from guardlab import (ignore_libc_signals, Guard, Session, FAKEWD, FENCE_MS, W_MS, RENEW_MS, alive, end,
                      stat_fields)

AUTORENEW = f"autorenew {RENEW_MS} {FENCE_MS} {W_MS}"
SLACK = 1.5  # s, for a shared, noisy 2-core machine


def spawn(s, key, *argv, out=None):
    cmd = f"spawn {key}" + (f" --out {out}" if out else "") + " -- " + " ".join(argv)
    return s.request(cmd)


def test_spawned_guest_properties(tmp_path):
    """PDEATHSIG, only fds 0-2 (even when the guard inherited one), nice 10, SCHED_OTHER,
    the guard's process group, default signal mask and dispositions, output appended."""
    d = str(tmp_path)
    leak_r, leak_w = os.pipe()  # inherited by the guard; its guests must not see it
    g = s = None
    try:
        # the guard inherits a descriptor and ignored signals 32, 33 (a CI shell did that):
        # its guests get neither
        g = Guard(d, pass_fds=(leak_w,), preexec_fn=ignore_libc_signals)
        s = Session(g.sock)
        # no renewal yet: refused
        r = spawn(s, "VM1", "sleep", "1000")
        assert int(r["err"]) == errno.EKEYEXPIRED, r
        s.send(AUTORENEW)
        s.wait_line(lambda l: l.startswith("RESULT") and "req=RENEW err=0" in l,
                    what="a renewal taken")
        out = os.path.join(d, "vm1.log")
        with open(out, "w") as f:
            f.write("before\n")
        script = os.path.join(d, "guest.sh")  # the ctl splits its lines on blanks
        with open(script, "w") as f:
            f.write("echo guest-out; echo guest-err >&2; exec sleep 1000\n")
        r = spawn(s, "VM1", "sh", script, out=out)
        assert int(r["err"]) == 0, r
        pid = int(r["pid"])
        assert alive(pid)
        wait_for(lambda: "sleep" in open(f"/proc/{pid}/cmdline").read() or None, 10,
                 "the guest to exec sleep")
        assert sorted(os.listdir(f"/proc/{pid}/fd")) == ["0", "1", "2"]
        assert os.readlink(f"/proc/{pid}/fd/0") == "/dev/null"
        assert os.readlink(f"/proc/{pid}/fd/1") == out
        st = stat_fields(pid)
        assert int(st[1]) == g.pid            # ppid
        assert int(st[2]) == g.pid            # pgrp: the guard's own group
        assert int(st[16]) == 10              # nice
        assert int(st[38]) == 0               # policy SCHED_OTHER (the guard runs FIFO)
        status = dict(l.split(":\t", 1) for l in open(f"/proc/{pid}/status").read().splitlines()
                      if ":\t" in l)
        assert int(status["SigBlk"], 16) == 0, status["SigBlk"]
        assert int(status["SigIgn"], 16) == 0, status["SigIgn"]
        assert os.getpgid(g.pid) == g.pid
        text = open(out).read()
        assert text.startswith("before\n"), text  # appended
        wait_for(lambda: "guest-err" in open(out).read(), 10, "stderr in the output file")
        assert "guest-out" in open(out).read()
        # a key that runs cannot be spawned twice
        r = spawn(s, "VM1", "sleep", "1000")
        assert int(r["err"]) == errno.EEXIST, r
        # a binary that does not exist: the error names it
        r = spawn(s, "VM2", "/nonexistent/qemu")
        assert int(r["err"]) == errno.ENOENT and "/nonexistent/qemu" in r["text"], r
        # PDEATHSIG: the guard dies by SIGKILL, the guest dies with it
        os.kill(g.pid, signal.SIGKILL)
        g.p.wait(timeout=10)
        wait_for(lambda: not alive(pid), 10, "the guest to die with the guard")
    finally:
        if s:
            s.stop()
        if g:
            g.stop()
        os.close(leak_r)
        os.close(leak_w)


def test_fence_when_renewals_stop(tmp_path):
    """secd goes away (kill -9): the guard kills the guest at fence_timeout after the last
    renewal, not before, records FENCED, and a new secd sees it; the key stays down until
    forgotten."""
    d = str(tmp_path)
    g = s = s2 = None
    try:
        g = Guard(d)
        s = Session(g.sock)
        s.send(AUTORENEW)
        pid = int(spawn(s, "VM1", "sleep", "1000")["pid"])
        # "secd" dies: its last renewal was at most RENEW_MS before this
        t_stop = time.monotonic()
        s.stop()
        s = None
        wait_for(lambda: not alive(pid), FENCE_MS / 1000 + SLACK + 2, "the guest fenced")
        took = time.monotonic() - t_stop
        assert took >= (FENCE_MS - RENEW_MS) / 1000 - 0.05, f"fenced after {took:.3f} s"
        assert took <= FENCE_MS / 1000 + SLACK, f"fenced after {took:.3f} s"
        # the guard kills every guest first and writes the FENCED records after (child.c
        # child_fence): the record may come a few ms after the guest is gone
        rec_path = os.path.join(d, "fenced", "VM1")
        wait_for(lambda: os.path.exists(rec_path) and f"pid={pid} " in open(rec_path).read(),
                 10, "the FENCED record of VM1")
        rec = open(rec_path).read()
        assert f"pid={pid} " in rec and "reason=renewals stopped" in rec, rec
        wait_for(lambda: f"fenced guest 'VM1' pid {pid}" in g.text(), 10, "the guard's log line")

        # a new secd: HELLO says FENCED, LIST shows the guest fenced and killed
        s2 = Session(g.sock)
        h = s2.request("hello", "HELLO")
        assert int(h["flags"], 16) & 0x4, h          # GUARD_HELLO_FENCED
        assert not int(h["flags"], 16) & 0x2, h      # not fresh
        c = s2.children()["VM1"]
        assert (c["running"], c["fenced"], c["pid"]) == ("0", "1", str(pid)), c
        assert os.WTERMSIG(int(c["status"])) == signal.SIGKILL
        # no spawn while renewals are stale, none of a fenced key when fresh again
        assert int(spawn(s2, "VM2", "sleep", "1000")["err"]) == errno.EKEYEXPIRED
        s2.send(AUTORENEW)
        s2.wait_line(lambda l: "req=RENEW err=0" in l, what="a renewal taken")
        r = spawn(s2, "VM1", "sleep", "1000")
        assert int(r["err"]) == errno.EPERM, r
        # forget: the record goes, the key may run again
        assert int(s2.request("forget VM1")["err"]) == 0
        assert not os.path.exists(os.path.join(d, "fenced", "VM1"))
        r = spawn(s2, "VM1", "sleep", "1000")
        assert int(r["err"]) == 0, r
        # renewals stop with the client still connected: EXITED fenced=1 arrives
        s2.send("autorenew off")
        line = s2.wait_line(lambda l: l.startswith("EXITED key=VM1 ") and f"pid={r['pid']} " in l,
                            FENCE_MS / 1000 + SLACK + 2, "EXITED of the fenced guest")
        assert "fenced=1" in line, line
    finally:
        for p in (s, s2, g):
            if p:
                p.stop()


def test_fenced_record_survives_guard_restart(tmp_path):
    """A guard restarted on the same data directory still refuses the fenced key and lists it."""
    d = str(tmp_path)
    g = s = None
    try:
        g = Guard(d)
        s = Session(g.sock)
        s.send(AUTORENEW)
        pid = int(spawn(s, "7", "sleep", "1000")["pid"])
        s.send("autorenew off")
        s.wait_line(lambda l: l.startswith("EXITED key=7 "), FENCE_MS / 1000 + SLACK + 2,
                    "EXITED")
        s.stop()
        g.stop()
        g = Guard(d)
        s = Session(g.sock)
        c = s.children()["7"]
        assert (c["running"], c["fenced"], c["pid"]) == ("0", "1", str(pid)), c
        s.send(AUTORENEW)
        s.wait_line(lambda l: "req=RENEW err=0" in l, what="a renewal taken")
        assert int(spawn(s, "7", "sleep", "1000")["err"]) == errno.EPERM
    finally:
        for p in (s, g):
            if p:
                p.stop()


def test_renewals_keep_guest_alive(tmp_path):
    """With renewals coming, the guest outlives 2.5 x fence_timeout."""
    d = str(tmp_path)
    g = s = None
    try:
        g = Guard(d)
        s = Session(g.sock)
        s.send(AUTORENEW)
        pid = int(spawn(s, "VM1", "sleep", "1000")["pid"])
        end_t = time.monotonic() + 2.5 * FENCE_MS / 1000
        while time.monotonic() < end_t:  # an observation window, failing at once
            assert alive(pid), "guest died although renewals kept coming"
            assert not s.seen(lambda l: l.startswith("EXITED")), s.lines
            time.sleep(0.05)
        assert not os.listdir(os.path.join(d, "fenced"))
        c = s.children()["VM1"]
        assert c["running"] == "1" and c["fenced"] == "0"
        # KILL: the guest is killed and reported at once, not fenced
        r = s.request("kill VM1 15")
        assert int(r["err"]) == 0 and int(r["pid"]) == pid
        line = s.wait_line(lambda l: l.startswith("EXITED key=VM1"), 10, "EXITED")
        assert "fenced=0" in line and f"status={signal.SIGTERM}" in line, line
        assert int(s.request("kill VM1 15")["err"]) == errno.ESRCH
        assert int(s.request("kill NOPE 15")["err"]) == errno.ENOENT
    finally:
        for p in (s, g):
            if p:
                p.stop()


def test_reconnect_keeps_guests_and_second_client_refused(tmp_path):
    """secd restarts within fence_timeout: LIST shows the guest alive with the same pid. A
    second client while the first is connected is refused (EBUSY)."""
    d = str(tmp_path)
    g = s = s2 = s3 = None
    try:
        g = Guard(d)
        s = Session(g.sock)
        s.send(AUTORENEW)
        pid = int(spawn(s, "VM1", "sleep", "1000")["pid"])
        s2 = Session(g.sock)
        s2.wait_line(lambda l: l.startswith("RESULT") and f"err={errno.EBUSY}" in l, 10,
                     "the second client refused")
        s2.wait_line(lambda l: l.startswith("CLOSED"), 10, "the second client closed")
        assert alive(pid)
        s.stop()   # kill -9 of "secd"
        s = None
        s3 = Session(g.sock)
        s3.send(AUTORENEW)
        c = s3.children()["VM1"]
        assert (c["running"], c["pid"], c["fenced"]) == ("1", str(pid), "0"), c
        h = s3.request("hello", "HELLO")
        assert int(h["flags"], 16) & 0x2 and not int(h["flags"], 16) & 0x4, h
        end_t = time.monotonic() + 1.5 * FENCE_MS / 1000
        while time.monotonic() < end_t:
            assert alive(pid)
            time.sleep(0.05)
    finally:
        for p in (s, s2, s3, g):
            if p:
                p.stop()


def test_malformed_record_drops_client_only(tmp_path):
    """Garbage on the socket costs the sender its connection; the guard and its guests go on."""
    d = str(tmp_path)
    g = s = None
    try:
        g = Guard(d)
        s = Session(g.sock)
        s.send(AUTORENEW)
        pid = int(spawn(s, "VM1", "sleep", "1000")["pid"])
        s.stop()
        s = None
        for junk in (b"", b"x" * 7, b"SEGD" + b"\0" * 40, os.urandom(20000)):
            c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            try:
                c.connect(g.sock)
                c.send(junk)
                c.settimeout(10)
                assert c.recv(100) == b""   # closed by the guard, no answer
            finally:
                c.close()
        s = Session(g.sock)
        s.send(AUTORENEW)
        assert s.children()["VM1"]["pid"] == str(pid)
        assert "malformed record" in g.text()
    finally:
        for p in (s, g):
            if p:
                p.stop()


def test_sigterm_kills_guests_and_stops(tmp_path):
    d = str(tmp_path)
    g = s = None
    try:
        g = Guard(d)
        s = Session(g.sock)
        s.send(AUTORENEW)
        pid = int(spawn(s, "VM1", "sleep", "1000")["pid"])
        os.kill(g.pid, signal.SIGTERM)
        assert g.p.wait(timeout=10) == 0
        assert not alive(pid)
        assert not os.path.exists(g.sock)
    finally:
        for p in (s, g):
            if p:
                p.stop()


def fakewd(sock, target_args):
    log = sock + ".log"
    lf = open(log, "ab")
    p = subprocess.Popen([FAKEWD, "--socket", sock, *target_args, "--timeout-ms", str(W_MS),
                          "-v"], stdin=subprocess.DEVNULL, stdout=lf, stderr=lf)
    lf.close()
    return p, log


def test_fake_watchdog_kills_stopped_guard_and_guest(tmp_path):
    """The guard SIGSTOPped longer than W: sec-fakewd kills the guard and its guest."""
    d = str(tmp_path)
    wd_sock = os.path.join(d, "wd.sock")
    g = s = w = None
    try:
        g = Guard(d, fake_wd=wd_sock)
        w, wlog = fakewd(wd_sock, ["--pgid-of", str(g.pid)])
        wait_for(lambda: "armed by pid" in open(wlog).read(), 10, "the fake watchdog armed")
        assert f"process group {g.pid}" in open(wlog).read()
        s = Session(g.sock)
        s.send(AUTORENEW)
        pid = int(spawn(s, "VM1", "sleep", "1000")["pid"])
        # petted: nothing fires over a few W
        end_t = time.monotonic() + 4 * W_MS / 1000
        while time.monotonic() < end_t:
            assert w.poll() is None, open(wlog).read()
            time.sleep(0.05)
        t0 = time.monotonic()
        os.kill(g.pid, signal.SIGSTOP)
        assert w.wait(timeout=W_MS / 1000 + SLACK + 5) == 3, open(wlog).read()
        took = time.monotonic() - t0
        assert took >= W_MS / 1000 - 0.3 - 0.05, f"fired after {took:.3f} s"  # last pet <= W/4 before
        assert took <= W_MS / 1000 + SLACK, f"fired after {took:.3f} s"
        print(f"fake watchdog fired {took:.3f} s after SIGSTOP")
        assert "fired: not petted" in open(wlog).read()
        wait_for(lambda: g.p.poll() is not None, 10, "the guard killed")
        assert g.p.returncode == -signal.SIGKILL
        wait_for(lambda: not alive(pid), 10, "the guest killed")
    finally:
        for p in (s, g):
            if p:
                p.stop()
        end(w)


def test_fake_watchdog_not_armed_without_pets(tmp_path):
    """Before its first pet the fake watchdog never fires; pets from outside the target
    process group do not arm it."""
    d = str(tmp_path)
    wd_sock = os.path.join(d, "wd.sock")
    victim = w = None
    try:
        victim = subprocess.Popen(["sleep", "1000"], start_new_session=True)
        w, wlog = fakewd(wd_sock, ["--pgid", str(victim.pid)])
        wait_for(lambda: os.path.exists(wd_sock), 10, "the fake watchdog's socket")
        c = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        end_t = time.monotonic() + 4 * W_MS / 1000
        while time.monotonic() < end_t:
            c.sendto(b"pet", wd_sock)   # from this process: not in the group, ignored
            assert w.poll() is None, open(wlog).read()
            assert victim.poll() is None
            time.sleep(0.05)
        c.close()
        assert "armed by" not in open(wlog).read()
        os.kill(w.pid, signal.SIGTERM)
        assert w.wait(timeout=10) == 0
        assert victim.poll() is None
    finally:
        end(w)
        end(victim)


def test_fake_watchdog_petted_after_fencing(tmp_path):
    """Renewals stop: the guard fences and reaps its guest and, every guest reaped, keeps
    petting (crd.md §4 layer 4 (b)): the fake watchdog does not fire."""
    d = str(tmp_path)
    wd_sock = os.path.join(d, "wd.sock")
    g = s = w = None
    try:
        g = Guard(d, fake_wd=wd_sock)
        w, wlog = fakewd(wd_sock, ["--pgid-of", str(g.pid)])
        wait_for(lambda: "armed by pid" in open(wlog).read(), 10, "the fake watchdog armed")
        s = Session(g.sock)
        s.send(AUTORENEW)
        pid = int(spawn(s, "VM1", "sleep", "1000")["pid"])
        s.send("autorenew off")
        s.wait_line(lambda l: l.startswith("EXITED key=VM1 ") and "fenced=1" in l,
                    FENCE_MS / 1000 + SLACK + 2, "EXITED of the fenced guest")
        assert not alive(pid)
        end_t = time.monotonic() + 4 * W_MS / 1000
        while time.monotonic() < end_t:
            assert w.poll() is None, open(wlog).read()
            assert g.p.poll() is None
            time.sleep(0.05)
    finally:
        for p in (s, g):
            if p:
                p.stop()
        end(w)


def test_renewal_checks(tmp_path):
    """A renewal already expired or older than the last is ignored (ESTALE); a zero
    fence_timeout or W is refused (EINVAL); neither makes the guard fresh."""
    d = str(tmp_path)
    g = s = None
    try:
        g = Guard(d)
        s = Session(g.sock)
        assert int(s.request(f"renew {FENCE_MS} {W_MS} {FENCE_MS + 100}")["err"]) == errno.ESTALE
        assert int(s.request(f"renew 0 {W_MS}")["err"]) == errno.EINVAL
        assert int(s.request(f"renew {FENCE_MS} 0")["err"]) == errno.EINVAL
        assert int(spawn(s, "VM1", "sleep", "1000")["err"]) == errno.EKEYEXPIRED
        assert int(s.request(f"renew {FENCE_MS} {W_MS} 100")["err"]) == 0
        assert int(s.request(f"renew {FENCE_MS} {W_MS} 500")["err"]) == errno.ESTALE  # older
        h = s.request("hello", "HELLO")
        assert int(h["flags"], 16) & 0x3 == 0x3 and h["fence_timeout_ms"] == str(FENCE_MS), h
    finally:
        for p in (s, g):
            if p:
                p.stop()
