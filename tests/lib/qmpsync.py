#!/usr/bin/env python3
"""A tiny synchronous QMP client for tests and benchmarks (no third-party modules).

One connection to one QEMU's QMP UNIX socket: the greeting is read and qmp_capabilities
sent on connect; every command carries an "id" and its reply is matched by it; events that
arrive meanwhile are kept in order, each with the CLOCK_MONOTONIC time (seconds, float) at
which this client read it, so that a source's STOP and a target's RESUME read by two
clients in one process are comparable (research/qemu-lm.md §9.5: the real LM pause).

    import qmpsync
    q = qmpsync.QMP("/tmp/x/q.qmp", timeout=5)       # retries connect until QEMU listens
    q.execute("migrate-set-capabilities",
              {"capabilities": [{"capability": "events", "state": True}]})
    mark = q.mark()                                  # events after this point only
    q.execute("migrate", {"uri": "tcp:127.0.0.1:4444"})
    ev = q.wait_event("MIGRATION", lambda d: d["status"] == "completed", timeout=30,
                      after=mark)
    ev["t_mono"], ev["data"]                         # receive time, QEMU's event data
    q.quit()                                         # tolerant of QEMU closing at once
    q.close()
    qmpsync.poll_until([src_q, tgt_q], lambda: ..., timeout=10)   # read both meanwhile

Errors: QMPError (QEMU answered {"error": ...}; .cls and .desc), QMPClosed (EOF or reset:
QEMU went away), TimeoutError (no reply / event in time). QEMU serves one QMP client at
a time (docs/qemu.md), so keep one QMP object per QEMU. Not thread-safe.
"""
import errno, json, select, socket, time


def now():
    """CLOCK_MONOTONIC in seconds, the clock of every t_mono here."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


class QMPError(Exception):
    """QEMU answered a command with an error."""

    def __init__(self, cmd, err):
        self.cmd, self.cls, self.desc = cmd, err.get("class", "?"), err.get("desc", "")
        super().__init__(f"{cmd}: {self.cls}: {self.desc}")


class QMPClosed(ConnectionError):
    """The QMP connection ended (QEMU quit or died)."""


class QMP:
    def __init__(self, path, timeout=5.0):
        """Connects to the socket at path, retrying every 10 ms for up to timeout seconds
        (QEMU creates it some 20-100 ms after exec), reads the greeting and negotiates
        capabilities. Raises TimeoutError, QMPClosed."""
        self.path, self.events, self._buf, self._id = path, [], b"", 0
        self._replies, self._cmds = {}, {}
        deadline = now() + timeout
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(path)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                s.close()
                if now() > deadline:
                    raise TimeoutError(f"QMP socket {path}: nobody listening after {timeout} s")
                time.sleep(0.01)  # connect retry (docs/qemu.md: ready 20-120 ms after exec)
        self.sock, self.greeting = s, None
        deadline += timeout
        while self.greeting is None:
            if not self._pump_one(deadline) and now() > deadline:
                raise TimeoutError(f"QMP socket {path}: no greeting in {timeout} s")
        self.execute("qmp_capabilities", timeout=timeout)

    # ------------------------------------------------------------------ reading
    def _file(self, msg, t):
        msg["t_mono"] = t
        if "event" in msg:
            self.events.append(msg)
        elif "id" in msg:
            self._replies[msg["id"]] = msg
        elif "QMP" in msg:
            self.greeting = msg

    def _pump_one(self, deadline):
        """One recv (waiting until deadline at most; once without waiting when it has
        passed); every complete message in it is filed with the receive time. False when
        nothing arrived."""
        self.sock.settimeout(max(deadline - now(), 0.0))
        try:
            chunk = self.sock.recv(65536)
        except (socket.timeout, BlockingIOError):
            return False
        except OSError as e:
            if e.errno in (errno.ECONNRESET, errno.EPIPE):
                raise QMPClosed(f"{self.path}: connection reset") from None
            raise
        t = now()
        if not chunk:
            raise QMPClosed(f"{self.path}: QEMU closed the QMP connection")
        self._buf += chunk
        while b"\n" in self._buf:
            line, self._buf = self._buf.split(b"\n", 1)
            if line.strip():
                self._file(json.loads(line), t)
        return True

    def pump(self, timeout=0.0):
        """Reads whatever arrives within timeout seconds (0: only what is buffered)."""
        deadline = now() + timeout
        while self._pump_one(deadline):
            pass

    # ------------------------------------------------------------------ commands
    def send(self, cmd, args=None):
        """Sends a command without waiting; returns its id (for reply())."""
        self._id += 1
        msg = {"execute": cmd, "id": self._id}
        if args is not None:
            msg["arguments"] = args
        try:
            self.sock.sendall(json.dumps(msg).encode() + b"\n")
        except OSError as e:
            raise QMPClosed(f"{self.path}: send {cmd}: {e}") from None
        self._cmds[self._id] = cmd
        return self._id

    def has_reply(self, cid):
        """True when the reply to command cid has been read (reply() returns at once)."""
        return cid in self._replies

    def reply(self, cid, timeout=10.0):
        """The "return" value of the command with id cid (its receive time is then in
        self.last_reply_t); raises QMPError, TimeoutError, QMPClosed."""
        deadline = now() + timeout
        while cid not in self._replies:
            if not self._pump_one(deadline):
                raise TimeoutError(f"{self.path}: no reply to {self._cmds.get(cid)} in {timeout} s")
        r = self._replies.pop(cid)
        self.last_reply_t = r["t_mono"]
        if "error" in r:
            raise QMPError(self._cmds.get(cid, "?"), r["error"])
        return r.get("return")

    def execute(self, cmd, args=None, timeout=10.0):
        """Sends cmd with args (a dict or None) and returns QEMU's "return" value. During
        an LM's stop-and-copy QEMU answers only after the switch-over: give a timeout
        above the expected pause."""
        return self.reply(self.send(cmd, args), timeout)

    def quit(self, timeout=10.0):
        """Sends quit and waits for QEMU to close the connection (the reply may be lost to
        a reset). Returns True when the connection closed within timeout."""
        try:
            self.send("quit")
            deadline = now() + timeout
            while self._pump_one(deadline):
                pass
            return False
        except QMPClosed:
            return True

    # ------------------------------------------------------------------ events
    def mark(self):
        """The index of the next event, for wait_event(after=...)."""
        return len(self.events)

    def find_event(self, name, pred=None, after=0):
        """The first event received so far (index >= after) named name for which
        pred(data) is true, or None."""
        for ev in self.events[after:]:
            if ev["event"] == name and (pred is None or pred(ev.get("data", {}))):
                return ev
        return None

    def wait_event(self, name, pred=None, timeout=10.0, after=0):
        """Waits until an event like find_event()'s has arrived and returns it: the QMP
        message plus "t_mono" (our CLOCK_MONOTONIC receive time). Raises TimeoutError
        (naming the events seen), QMPClosed."""
        deadline = now() + timeout
        while True:
            ev = self.find_event(name, pred, after)
            if ev is not None:
                return ev
            if not self._pump_one(deadline):
                seen = [(e["event"], e.get("data")) for e in self.events[after:]]
                raise TimeoutError(f"{self.path}: no {name} event in {timeout} s; seen {seen}")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def poll_until(clients, cond, timeout):
    """Reads events from all clients (QMP objects) as they arrive, so that each gets its
    true receive time, until cond() is true (returned) or timeout seconds pass
    (TimeoutError). A client whose QEMU closed the connection raises QMPClosed."""
    deadline = now() + timeout
    while True:
        v = cond()
        if v:
            return v
        left = deadline - now()
        if left <= 0:
            raise TimeoutError(f"condition not met in {timeout} s")
        ready, _, _ = select.select([c.sock for c in clients], [], [], left)
        for c in clients:
            if c.sock in ready:
                c._pump_one(now())   # one recv of what is there; files its messages
