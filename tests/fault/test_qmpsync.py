"""tests/lib/qmpsync.py against a scripted fake QMP peer (no QEMU): greeting and
capabilities, replies matched by id with events interleaved, event receive times, errors,
timeouts, a peer that closes, poll_until over two peers. The real QEMU side is
test_qemu_lm.py."""
import json, os, socket, sys, threading, time
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../lib"))
import qmpsync  # noqa: E402

GREETING = {"QMP": {"version": {"qemu": {"major": 7, "minor": 2, "micro": 22}},
                    "capabilities": []}}


class FakeQemu:
    """A UNIX socket server that answers the first connection with handler(msg, send) for
    each message after qmp_capabilities; send(obj) writes one JSON line."""

    def __init__(self, path, handler):
        self.path, self.handler = path, handler
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(path)
        self.srv.listen(1)
        self.got = []
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        c, _ = self.srv.accept()
        self.conn = c
        send = lambda o: c.sendall(json.dumps(o).encode() + b"\n")  # noqa: E731
        send(GREETING)
        f = c.makefile("rb")
        for line in f:
            msg = json.loads(line)
            self.got.append(msg)
            if msg["execute"] == "qmp_capabilities":
                send({"return": {}, "id": msg["id"]})
            elif self.handler(msg, send) == "close":
                c.close()
                return

    def stop(self):
        self.srv.close()
        self.t.join(timeout=5)


@pytest.fixture
def fake(tmp_path):
    made = []

    def make(handler, name="q.qmp"):
        f = FakeQemu(str(tmp_path / name), handler)
        made.append(f)
        return f
    yield make
    for f in made:
        f.stop()


def test_replies_by_id_with_events_between(fake):
    def h(msg, send):
        if msg["execute"] == "query-status":
            send({"event": "STOP", "timestamp": {"seconds": 1, "microseconds": 0}})
            send({"return": {"status": "paused", "running": False}, "id": msg["id"]})
        elif msg["execute"] == "cont":
            send({"error": {"class": "GenericError", "desc": 'Failed to get "write" lock'},
                  "id": msg["id"]})
    f = fake(h)
    q = qmpsync.QMP(f.path, timeout=5)
    assert q.greeting["QMP"] == GREETING["QMP"]
    t0 = qmpsync.now()
    assert q.execute("query-status") == {"status": "paused", "running": False}
    [ev] = q.events
    assert ev["event"] == "STOP" and t0 <= ev["t_mono"] <= qmpsync.now()
    assert q.find_event("STOP") is ev and q.find_event("STOP", after=1) is None
    with pytest.raises(qmpsync.QMPError) as ei:
        q.execute("cont")
    assert ei.value.cls == "GenericError" and "write" in ei.value.desc
    ids = [m["id"] for m in f.got]
    assert len(set(ids)) == len(ids) == 3 and f.got[0]["execute"] == "qmp_capabilities"
    q.close()


def test_wait_event_predicate_and_timeout(fake):
    def h(msg, send):
        if msg["execute"] == "migrate":
            send({"return": {}, "id": msg["id"]})
            for st in ("setup", "active", "completed"):
                send({"event": "MIGRATION", "data": {"status": st},
                      "timestamp": {"seconds": 1, "microseconds": 0}})
    q = qmpsync.QMP(fake(h).path)
    m = q.mark()
    q.execute("migrate", {"uri": "tcp:127.0.0.1:1"})
    ev = q.wait_event("MIGRATION", lambda d: d["status"] == "completed", timeout=5, after=m)
    assert ev["data"]["status"] == "completed" and q.events.index(ev) == m + 2
    t0 = time.monotonic()
    with pytest.raises(TimeoutError) as ei:
        q.wait_event("RESUME", timeout=0.2, after=m)
    assert 0.2 <= time.monotonic() - t0 < 2 and "MIGRATION" in str(ei.value)
    with pytest.raises(TimeoutError):
        q.execute("query-migrate", timeout=0.2)     # the fake never answers it
    q.close()


def test_closed_peer_and_quit(fake):
    def h(msg, send):
        if msg["execute"] == "quit":
            send({"return": {}, "id": msg["id"]})
            return "close"
    q = qmpsync.QMP(fake(h).path)
    assert q.quit(timeout=5) is True
    with pytest.raises(qmpsync.QMPClosed):
        q.execute("query-status", timeout=1)
    q.close()


def test_connect_waits_for_the_socket_and_gives_up(tmp_path):
    with pytest.raises(TimeoutError):
        qmpsync.QMP(str(tmp_path / "nobody.qmp"), timeout=0.2)


def test_poll_until_reads_both_peers_as_data_arrives(fake):
    gate = threading.Event()

    def h_a(msg, send):
        if msg["execute"] == "go":
            send({"return": {}, "id": msg["id"]})
            send({"event": "STOP", "timestamp": {"seconds": 1, "microseconds": 0}})
            gate.set()

    def h_b(msg, send):
        if msg["execute"] == "go":
            send({"return": {}, "id": msg["id"]})
            gate.wait(5)
            send({"event": "RESUME", "timestamp": {"seconds": 1, "microseconds": 0}})
    a, b = qmpsync.QMP(fake(h_a, "a.qmp").path), qmpsync.QMP(fake(h_b, "b.qmp").path)
    ca, cb = a.send("go"), b.send("go")
    got = qmpsync.poll_until([a, b], lambda: a.find_event("STOP") and
                             b.find_event("RESUME"), 5)
    assert got["event"] == "RESUME"
    assert a.find_event("STOP")["t_mono"] <= b.find_event("RESUME")["t_mono"]
    assert a.reply(ca, 0) == {} and b.reply(cb, 0) == {}
    with pytest.raises(TimeoutError):
        qmpsync.poll_until([a, b], lambda: False, 0.1)
    a.close()
    b.close()
