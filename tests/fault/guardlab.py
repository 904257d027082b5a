"""Real sec-guard, sec-fakewd and sec-guard-ctl processes for the guard tests
(crd.md §4 "Fencing layers"; docs/guard.md).

Guard(dir) starts sec-guard; Session(sock) is a `sec-guard-ctl session`: a client that speaks
the real protocol through src/guard/guardc.c, reads commands from its stdin and prints every
record it receives, which a reader thread collects. Every process is ended by its PID in
stop() (the tests call it in finally blocks); waits have deadlines (lab.wait_for).
"""
import os, signal, subprocess, threading, time

from lab import BUILD, wait_for

GUARD = os.path.join(BUILD, "src/guard/sec-guard")
FAKEWD = os.path.join(BUILD, "src/guard/sec-fakewd")
CTL = os.path.join(BUILD, "src/guard/sec-guard-ctl")

# the `test` timing profile of crd.md §8
FENCE_MS, W_MS, RENEW_MS = 2000, 500, 200


def alive(pid):
    """True while pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def stat_fields(pid):
    """/proc/PID/stat fields after the command name; index 0 is field 3 (state)."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()


def end(p, sig=signal.SIGKILL):
    """Ends a Popen by its PID (also a stopped one) and reaps it."""
    if p is None or p.poll() is not None:
        return
    try:
        os.kill(p.pid, signal.SIGCONT)
        os.kill(p.pid, sig)
    except ProcessLookupError:
        pass
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.kill(p.pid, signal.SIGKILL)
        p.wait()


def ignore_libc_signals():
    """In a child before exec: ignore signals 32 and 33 with the raw system call (glibc's
    own signals, which its sigaction() refuses), as a foreign parent may leave them; an
    ignored signal stays ignored across exec."""
    import ctypes

    class KSigaction(ctypes.Structure):
        _fields_ = [("handler", ctypes.c_void_p), ("flags", ctypes.c_ulong),
                    ("restorer", ctypes.c_void_p), ("mask", ctypes.c_ulong)]
    libc = ctypes.CDLL(None, use_errno=True)
    ign = KSigaction(1, 0, None, 0)  # SIG_IGN
    for sig in (32, 33):
        libc.syscall(13, sig, ctypes.byref(ign), None, 8)  # 13 = rt_sigaction on x86-64


class Guard:
    def __init__(self, d, fake_wd=None, pass_fds=(), preexec_fn=None):
        self.dir = d
        self.sock = os.path.join(d, "guard.sock")
        self.log = os.path.join(d, "guard.log")
        args = [GUARD, "--dir", d, "-v"]
        start = len(self.text()) if os.path.exists(self.log) else 0
        if fake_wd:
            args += ["--fake-watchdog", fake_wd]
        with open(self.log, "ab") as lf:
            self.p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=lf, stderr=lf,
                                      pass_fds=pass_fds, preexec_fn=preexec_fn)
        self.pid = self.p.pid
        # "listening" in this start's log lines (a killed guard leaves its socket file)
        wait_for(lambda: "listening on" in self.text()[start:] or self.p.poll() is not None,
                 10, "the guard listening")
        assert self.p.poll() is None, self.text()

    def text(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def stop(self):
        end(self.p)


class Session:
    """A `sec-guard-ctl session` connected to the guard at sock."""

    def __init__(self, sock):
        self.p = subprocess.Popen([CTL, "--socket", sock, "session"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                  bufsize=1)
        self.lines = []
        self.lock = threading.Lock()
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        for line in self.p.stdout:
            with self.lock:
                self.lines.append(line.rstrip("\n"))

    def seen(self, pred):
        with self.lock:
            return [l for l in self.lines if pred(l)]

    def wait_line(self, pred, timeout=10, what="a line"):
        """The first received line for which pred is true (waits with a deadline)."""
        def find():
            s = self.seen(pred)
            return s[0] if s else None
        try:
            return wait_for(find, timeout, what)
        except AssertionError:
            raise AssertionError(f"timed out waiting for {what}; saw {self.lines}")

    def send(self, cmd):
        """Sends one command; returns its seq (from its SENT line; autorenew: 0)."""
        with self.lock:
            n = len(self.lines)
        self.p.stdin.write(cmd + "\n")
        self.p.stdin.flush()
        word = cmd.split()[0]

        def find():
            with self.lock:
                new = self.lines[n:]
            for l in new:
                if l.startswith(f"SENT {word} ") or l.startswith(f"ERROR {word} "):
                    return l
            return None
        try:
            line = wait_for(find, 10, f"'{cmd}' sent")
        except AssertionError:
            raise AssertionError(f"timed out sending '{cmd}'; saw {self.lines}")
        assert line.startswith("SENT"), line
        return int(line.split("seq=")[1])

    def answer(self, seq, kind="RESULT", timeout=10):
        """The answer record with seq as a dict of its key=value fields."""
        line = self.wait_line(lambda l: l.startswith(kind + " ") and f" seq={seq} " in l + " ",
                              timeout, f"{kind} seq={seq}")
        return fields(line)

    def request(self, cmd, kind="RESULT"):
        return self.answer(self.send(cmd), kind)

    def children(self):
        """LIST → {key: fields}."""
        seq = self.send("list")
        self.answer(seq, "LIST_END")
        return {f["key"]: f for f in map(fields, self.seen(
            lambda l: l.startswith("CHILD ") and f" seq={seq} " in l))}

    def stop(self):
        end(self.p)


def fields(line):
    """'KIND a=1 b=x text=rest of line' → {'kind': 'KIND', 'a': '1', ...}."""
    kind, _, rest = line.partition(" ")
    out = {"kind": kind}
    head, sep, text = rest.partition(" text=")
    for part in head.split():
        k, _, v = part.partition("=")
        out[k] = v
    if sep:
        out["text"] = text
    return out
