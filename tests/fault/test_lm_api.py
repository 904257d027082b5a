"""The MU side of Live Migration against a fake SU (issue 5 "Checks", "Migration"; docs/api.md
"Live Migration"): a lab of one real MU with two simulated SUs (sim1, sim2); a Python HTTP
server on sim1's API address plays the source SU with scripted answers of /CHECK-VM-MIGRATION,
/MIGRATE-VM and GET /api/v1/internal/lmstat — so that `sectl vm migrate` can be followed to
its end before the SU's LM engine exists. The real check against real SUs is
test_lm_reject.py.

Checked: the body becomes exactly the VM2000 command (and a bad field is a 400 naming it,
nothing relayed); the check answers 200 with the rows, sectl prints them and exits 0/1; a
migration answers 202 with the lm_id, 409 lm_rejected with the SU's messages, 502 when the SU
names no lm_id; sectl follows GET .../migrations/{lm_id} to "completed in X.XX s, pause N
ms" (exit 0) or "aborted: REASON" (exit 1), with plain progress lines when not on a TTY;
every command is audited like a VM2000 command."""
import json, os, pty, subprocess, threading

import pytest

from cluster_lab import Lab
from fakesu import FakeSU
from lab import SECTL, wait_for

T = 15
LM_OK, LM_ABORT = "00000000000000a1", "00000000000000a2"

# the LM objects GET lmstat gives one after the other (the last one stays)
STEPS = {
    LM_OK: [("setup", 1, 0, 0), ("copy", 2, 30, 5200), ("copy", 2, 70, 800),
            ("switchover", 3, 100, 0), ("completed", 4, 100, 0)],
    LM_ABORT: [("setup", 1, 0, 0), ("copy", 2, 40, 9000), ("aborted", 2, 40, 0)],
}


def lm_object(lm_id, i):
    st, phase, pct, dirty = STEPS[lm_id][min(i, len(STEPS[lm_id]) - 1)]
    done = st in ("completed", "aborted")
    return {"lm_id": lm_id, "vm": "(2,G1)", "vm_name": "G1", "source": "sim1",
            "target": "sim2", "state": st, "phase": phase, "percent": pct,
            "transferred_bytes": pct * 671089, "remaining_bytes": (100 - pct) * 671089,
            "total_bytes": 67108864, "dirty_rate": dirty, "mbps": 812.5,
            "started_ms": 1796000000000, "total_ms": 4203 if done else 0,
            "pause_ms": 37 if st == "completed" else 0,
            "result": {"completed": "$T ", "aborted": "$AE"}.get(st, "$R "),
            "reason": "the target QEMU ended (exit status 1)" if st == "aborted" else ""}


class FakeLMSU(FakeSU):
    def __init__(self, addr, name):
        self.polls = {LM_OK: 0, LM_ABORT: 0}
        self.plock = threading.Lock()
        super().__init__(addr, name)

    def route(self, req):
        if req["path"] == "/api/v1/internal/sdf":
            cmd = json.loads(req["body"])["command"]
            if cmd.startswith("/CHECK-VM-MIGRATION"):
                return 200, self.check(cmd)
            if cmd.startswith("/MIGRATE-VM"):
                return 200, self.migrate(cmd)
        if req["path"] == "/api/v1/internal/lmstat" and req["method"] == "GET":
            want = req["query"].get("lm", [None])[0]
            with self.plock:
                lms = []
                for lm_id in self.polls:
                    if want in (None, lm_id):
                        lms.append(lm_object(lm_id, self.polls[lm_id]))
                        if want:
                            self.polls[lm_id] += 1
            return 200, {"lms": lms}
        return super().route(req)

    def check(self, cmd):
        ok = "VM-ID=G1," in cmd or "VM-ID=3," in cmd
        rows = [] if ok else [
            {"severity": "conflict", "resource": "VM index", "name": "2",
             "message": "already in use", "msgid": "VMS4011",
             "text": "% VMS4011 VM INDEX 2 NOT AVAILABLE"}]
        msgs = ["% VMS2460 LIVE MIGRATION OF VM (2,G1) TO TARGET SU 'sim2' POSSIBLE"] if ok \
            else ["% VMS2404 LIVE MIGRATION OF VM (2,G2) REJECTED BY TARGET SU 'sim2'. "
                  "REASON: VMS4011", "% VMS4011 VM INDEX 2 NOT AVAILABLE",
                  "% VMS2461 LIVE MIGRATION OF VM (2,G2) TO TARGET SU 'sim2' NOT POSSIBLE"]
        rc = {"maincode": "CMD0001" if ok else "VMS2461", "subcode1": 0,
              "subcode2": 0 if ok else 2}
        return {"su": self.name, "command": cmd, "messages": msgs, "rc": rc, "ok": True,
                "check": {"vm": "(2,G1)", "source": "sim1", "target": "sim2",
                          "possible": ok, "rows": rows, "messages": msgs, "rc": rc}}

    def migrate(self, cmd):
        res = {"su": self.name, "command": cmd, "ok": True,
               "messages": ["% VMS2460 LIVE MIGRATION OF VM (2,G1) TO TARGET SU 'sim2' "
                            "POSSIBLE"], "rc": {"maincode": "CMD0001", "subcode1": 0,
                                                 "subcode2": 0}}
        if "VM-ID=G9," in cmd:
            res.update(ok=False, messages=[
                "% VMS2404 LIVE MIGRATION OF VM (9,G9) REJECTED BY TARGET SU 'sim2'. "
                "REASON: VMS4013", "% VMS4013 VM NAME 'G9' NOT AVAILABLE",
                "% VMS2461 LIVE MIGRATION OF VM (9,G9) TO TARGET SU 'sim2' NOT POSSIBLE"],
                rc={"maincode": "VMS2461", "subcode1": 64, "subcode2": 0})
        elif "VM-ID=G3," not in cmd:  # G3: accepted without an lm_id (an SU's bug)
            lm_id = LM_ABORT if "VM-ID=G2," in cmd else LM_OK
            with self.plock:
                self.polls[lm_id] = 0
            res["lm"] = {"lm_id": lm_id}
        return res


@pytest.fixture(scope="module")
def lm_lab(tmp_path_factory):
    lb = Lab(str(tmp_path_factory.mktemp("lm_api")), servers=1, mus=1, sim=2)
    fake = None
    try:
        sim1 = next(u for u in lb.status()["units"] if u["name"] == "sim1")
        fake = FakeLMSU(sim1["api"], "sim1")
        mu = lb.units("MU")[0]
        wait_for(lambda: (lb.try_status(mu) or {}).get("master_mu"), T, "a Master MU")
        r = lb.sectl("login", "--password-file", f"{lb.dir}/admin.password")
        assert r.returncode == 0, r.stderr
        yield lb, mu, fake
    finally:
        if fake:
            fake.close()
        lb.down()


def commands(fake):
    return [json.loads(r["body"])["command"] for r in fake.seen("/api/v1/internal/sdf")]


def test_check_relayed(lm_lab):
    lb, mu, fake = lm_lab
    n = len(commands(fake))
    r = lb.sectl("vm", "migrate", "G1", "--su", "sim1", "--to", "sim2", "--check")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines() == [
        "% VMS2460 LIVE MIGRATION OF VM (2,G1) TO TARGET SU 'sim2' POSSIBLE"]
    r = lb.sectl("vm", "migrate", "G2", "--su", "sim1", "--to", "sim2", "--check")
    assert r.returncode == 1, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["Resource", "Resource", "name", "Message"]
    assert lines[1].split("  ")[0] == "VM index" and lines[1].split() == \
        ["VM", "index", "2", "already", "in", "use"]
    assert lines[2] == "" and lines[-1].startswith("% VMS2461 ")
    # a VM index, *UNIQUE, and the source found from the systems (G1 is on sim1)
    assert lb.sectl("vm", "migrate", "3", "--su", "sim1", "--check").returncode == 0
    assert lb.sectl("vm", "migrate", "G1", "--check").returncode == 0
    assert commands(fake)[n:] == [
        "/CHECK-VM-MIGRATION VM-ID=G1,SERVER-UNIT-NAME=sim2",
        "/CHECK-VM-MIGRATION VM-ID=G2,SERVER-UNIT-NAME=sim2",
        "/CHECK-VM-MIGRATION VM-ID=3,SERVER-UNIT-NAME=*UNIQUE",
        "/CHECK-VM-MIGRATION VM-ID=G1,SERVER-UNIT-NAME=*UNIQUE"]
    r = lb.sectl("vm", "migrate", "G7", "--check")
    assert r.returncode == 1 and "no SU has a VM 'G7'" in r.stderr, r.stderr
    r = lb.sectl("vm", "migrate", "4", "--check")
    assert r.returncode == 2 and "name the source SU with --su" in r.stderr, r.stderr
    # the API: 200 with the rows
    st, b = lb.call(mu, "POST", "/api/v1/sus/sim1/migrations",
                    {"vm": "G2", "to": "sim2", "check": True})
    assert st == 200 and b["check"]["possible"] is False, b
    assert b["check"]["rows"][0]["resource"] == "VM index"
    st, b = lb.call(mu, "GET", "/api/v1/audit?limit=100&text=CHECK-VM-MIGRATION")
    assert st == 200
    assert any(e["message"] == "Action=VM2000 command; SU=sim1; Command=/CHECK-VM-MIGRATION "
               "VM-ID=G2,SERVER-UNIT-NAME=sim2 --> OK" for e in b["entries"]), b["entries"]


@pytest.mark.parametrize("body,field", [
    ({}, "vm"), ({"vm": "G1,X=1"}, "vm"), ({"vm": 100}, "vm"), ({"vm": "1AB"}, "vm"),
    ({"vm": "G1", "to": "sim2 X"}, "to"), ({"vm": "G1", "to": 5}, "to"),
    ({"vm": "G1", "check": "yes"}, "check"),
    ({"vm": "G1", "check": True, "monjv": "JV1"}, "monjv"),
    ({"vm": "G1", "monjv": "JV(1)"}, "monjv"), ({"vm": "G1", "force": True}, "force"),
])
def test_bad_bodies(lm_lab, body, field):
    """A bad field: 400 naming it; nothing reaches the SU."""
    lb, mu, fake = lm_lab
    n = len(commands(fake))
    st, b = lb.call(mu, "POST", "/api/v1/sus/sim1/migrations", body)
    assert st == 400 and b["error"]["message"].startswith(field + ":"), b
    assert len(commands(fake)) == n


def test_unknown_su_and_lm_id(lm_lab):
    lb, mu, fake = lm_lab
    st, b = lb.call(mu, "POST", "/api/v1/sus/nosuch/migrations", {"vm": "G1"})
    assert st == 404 and b["error"]["message"] == "no SU 'nosuch' in the cluster", b
    st, b = lb.call(mu, "GET", "/api/v1/sus/sim1/migrations/xyz")
    assert st == 400 and b["error"]["message"].startswith("lm_id:"), b
    st, b = lb.call(mu, "GET", "/api/v1/sus/sim1/migrations/00000000000000ff")
    assert st == 404 and b["error"]["message"] == \
        "no live migration '00000000000000ff' on SU 'sim1'", b
    st, b = lb.call(mu, "GET", "/api/v1/sus/sim1/migrations")
    assert st == 200 and sorted(x["lm_id"] for x in b["lms"]) == [LM_OK, LM_ABORT], b


def test_migrate_completed(lm_lab):
    """202 with the lm_id; sectl follows it to its end (plain lines: stdout is no TTY)."""
    lb, mu, fake = lm_lab
    n = len(commands(fake))
    r = lb.sectl("vm", "migrate", "G1", "--su", "sim1", "--to", "sim2", "--monjv", "JV.LM1")
    assert r.returncode == 0, r.stdout + r.stderr
    assert commands(fake)[n:] == ["/MIGRATE-VM VM-ID=G1,SERVER-UNIT-NAME=sim2,MONJV=JV.LM1"]
    lines = r.stdout.splitlines()
    assert lines[0].startswith("% VMS2460 ")
    assert lines[1] == f"live migration {LM_OK} of VM 'G1' from SU 'sim1' started"
    phases = [l.split()[:3] for l in lines[2:-1]]
    assert phases == [["phase", "1/4", "setup"], ["phase", "2/4", "copy"],
                      ["phase", "2/4", "copy"], ["phase", "3/4", "switchover"],
                      ["phase", "4/4", "completed"]], r.stdout
    assert "[##############......]  70%  dirty 800 pages/s  812 Mbit/s" in lines[4], lines[4]
    assert lines[-1] == "completed in 4.20 s, pause 37 ms"
    polls = fake.seen("/api/v1/internal/lmstat")
    assert polls and polls[-1]["query"] == {"lm": [LM_OK]}
    # the API: 202 and the LM
    st, b = lb.call(mu, "POST", "/api/v1/sus/sim1/migrations", {"vm": "G1", "to": "sim2"})
    assert st == 202 and b["lm"]["lm_id"] == LM_OK and b["ok"] is True, b
    st, b = lb.call(mu, "GET", f"/api/v1/sus/sim1/migrations/{LM_OK}")
    assert st == 200 and b["lm"]["lm_id"] == LM_OK and b["lm"]["state"] == "setup", b


def test_migrate_aborted(lm_lab):
    lb, mu, fake = lm_lab
    r = lb.sectl("vm", "migrate", "G2", "--su", "sim1")
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stdout.splitlines()[-1] == "aborted: the target QEMU ended (exit status 1)"
    r = lb.sectl("vm", "migrate", "G2", "--su", "sim1", "--json")
    assert r.returncode == 1, r.stdout + r.stderr
    lm = json.loads(r.stdout)
    assert lm["state"] == "aborted" and lm["result"] == "$AE" and lm["lm_id"] == LM_ABORT


def test_migrate_rejected(lm_lab):
    """409 lm_rejected with the SU's messages; sectl prints them and exits 1."""
    lb, mu, fake = lm_lab
    st, b = lb.call(mu, "POST", "/api/v1/sus/sim1/migrations", {"vm": "G9", "to": "sim2"})
    assert st == 409 and b["error"]["code"] == "lm_rejected", b
    assert b["error"]["message"] == "live migration rejected by SU 'sim1' (VMS2461)"
    assert b["error"]["details"] == b["result"]["messages"] and b["result"]["ok"] is False
    r = lb.sectl("vm", "migrate", "G9", "--su", "sim1", "--to", "sim2")
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stdout.splitlines()[-1].startswith("% VMS2461 ")
    assert "live migration of VM 'G9' rejected (VMS2461)" in r.stderr
    # accepted, but no lm_id to follow: the SU's fault, said so
    st, b = lb.call(mu, "POST", "/api/v1/sus/sim1/migrations", {"vm": "G3"})
    assert st == 502 and b["error"]["code"] == "su_error" and "lm_id" in \
        b["error"]["message"], b


def test_progress_on_a_tty(lm_lab):
    """On a terminal the progress is one line, rewritten in place (CR, erase to the end)."""
    lb, mu, fake = lm_lab
    master, slave = pty.openpty()
    env = dict(os.environ, SECTL_CONFIG=os.path.join(lb.dir, "sectl.conf"))
    p = subprocess.Popen([SECTL, "vm", "migrate", "G1", "--su", "sim1"], stdin=slave,
                         stdout=slave, stderr=subprocess.PIPE, env=env)
    os.close(slave)
    out = b""
    try:
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: sectl ended, the pty is closed
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(master)
        assert p.wait(30) == 0, (out, p.stderr.read())
    text = out.decode().replace("\r\n", "\n")
    bar = text.split("started\n", 1)[1]
    assert bar.count("\r") == 5 and bar.count("\033[K") == 5, repr(bar)
    assert bar.endswith("\ncompleted in 4.20 s, pause 37 ms\n"), repr(bar)
    assert bar.split("\n")[0].rsplit("\r", 1)[-1].startswith("phase 4/4 completed  [####")
